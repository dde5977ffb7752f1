// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ModelCard from '../../../src-renderer/src/components/ModelCard.vue';

const CARD = [
  '# ResNet-18 classifier (2 classes)',
  '',
  'Exported from run `r1` as **onnx**.',
  '',
  '## Labels (output order)',
  '',
  '0. cat',
  '1. dog',
  '',
  '- Input: float32',
  '',
  '```python',
  'print("<b>hi</b>")',
  '```',
  '',
  '| Class | F1 |',
  '| --- | --- |',
  '| cat | 0.9 |',
].join('\n');

describe('ModelCard', () => {
  it('draws headings (shifted below the screen’s), lists, code and tables', () => {
    const wrapper = mount(ModelCard, { props: { markdown: CARD, path: '/out/m.onnx.md' } });
    expect(wrapper.find('[data-testid="model-card"]').exists()).toBe(true);
    expect(wrapper.find('.card-path').text()).toBe('Model card: /out/m.onnx.md');
    expect(wrapper.get('h3').text()).toBe('ResNet-18 classifier (2 classes)');
    expect(wrapper.get('h4').text()).toBe('Labels (output order)');
    expect(wrapper.findAll('p')[1]?.get('code').text()).toBe('r1');
    expect(wrapper.get('p strong').text()).toBe('onnx');
    const ordered = wrapper.get('ol');
    expect(ordered.attributes('start')).toBe('0');
    expect(ordered.findAll('li').map((li) => li.text())).toEqual(['cat', 'dog']);
    expect(wrapper.get('ul li').text()).toBe('Input: float32');
    expect(wrapper.get('pre').attributes('data-language')).toBe('python');
    expect(wrapper.get('pre code').text()).toBe('print("<b>hi</b>")');
    expect(wrapper.find('pre b').exists()).toBe(false);
    expect(wrapper.findAll('th').map((th) => th.text())).toEqual(['Class', 'F1']);
    expect(wrapper.findAll('tbody td').map((td) => td.text())).toEqual(['cat', '0.9']);
  });

  it('shows HTML in the card as text: a <script> or an onerror never becomes an element', () => {
    const hostile = [
      '# Title <script>window.pwned = true</script>',
      '',
      'Hello <img src=x onerror="window.pwned = true"> and **<iframe src="https://example.com">**',
      '',
      '- <a href="javascript:alert(1)">click</a>',
      '',
      '| <script>x</script> |',
      '| --- |',
      '| <style>body{}</style> |',
      '',
      '<script>window.pwned = true</script>',
    ].join('\n');
    const wrapper = mount(ModelCard, { props: { markdown: hostile }, attachTo: document.body });
    for (const tag of ['script', 'img', 'iframe', 'a', 'style']) expect(wrapper.find(tag).exists()).toBe(false);
    expect(wrapper.text()).toContain('<script>window.pwned = true</script>');
    expect(wrapper.get('p strong').text()).toBe('<iframe src="https://example.com">');
    expect((window as unknown as { pwned?: boolean }).pwned).toBeUndefined();
    wrapper.unmount();
  });

  it('leaves out the path line when there is none', () => {
    const wrapper = mount(ModelCard, { props: { markdown: 'text' } });
    expect(wrapper.find('.card-path').exists()).toBe(false);
    expect(wrapper.get('p').text()).toBe('text');
  });
});
