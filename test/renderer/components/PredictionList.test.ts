// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import PredictionList from '../../../src-renderer/src/components/PredictionList.vue';
import type { TriedImage } from '../../../src-renderer/src/composables/useClassify';

const base: TriedImage = { key: 1, name: 'tom.jpg', origin: 'upload', path: null, preview: null, state: 'done', top: [], error: null };

describe('PredictionList', () => {
  it('shows each class with its probability as a bar and a percentage, best first', () => {
    const images: TriedImage[] = [
      {
        ...base,
        preview: 'data:image/jpeg;base64,AAAA',
        top: [
          { index: 0, label: 'cat', probability: 0.9 },
          { index: 2, label: 'fox', probability: 0.0001 },
        ],
      },
    ];
    const wrapper = mount(PredictionList, { props: { images } });
    const item = wrapper.get('[data-testid="prediction"]');
    expect(item.attributes('data-file')).toBe('tom.jpg');
    expect(item.attributes('data-state')).toBe('done');
    expect(item.get('img').attributes('src')).toBe('data:image/jpeg;base64,AAAA');
    expect(item.get('img').attributes('alt')).toBe('Preview of tom.jpg');
    const rows = item.findAll('.class-row');
    expect(rows.map((row) => [row.get('.label').text(), row.get('.probability').text()])).toEqual([
      ['cat', '90.0%'],
      ['fox', '0.0%'],
    ]);
    expect(rows[0]?.get('.fill').attributes('style')).toContain('width: 90.0%');
    // A tiny probability still draws a sliver.
    expect(rows[1]?.get('.fill').attributes('style')).toContain('width: 0.5%');
  });

  it('shows an image’s own error, and what a refused or pending image is waiting for', () => {
    const images: TriedImage[] = [
      { ...base, key: 1, name: 'notes.txt', state: 'failed', error: { code: 'BAD_INPUT', message: 'notes.txt is not an image' } },
      { ...base, key: 2, name: 'huge.tif', state: 'refused', error: { code: 'BAD_INPUT', message: 'huge.tif is too large' } },
      { ...base, key: 3, name: 'next.png', state: 'classifying' },
      { ...base, key: 4, name: 'far.png', origin: 'engine', path: '/data/far.png', state: 'waiting' },
    ];
    const wrapper = mount(PredictionList, { props: { images } });
    const items = wrapper.findAll('[data-testid="prediction"]');
    expect(items.map((item) => item.attributes('data-file'))).toEqual(['notes.txt', 'huge.tif', 'next.png', 'far.png']);
    expect(items[0]?.get('[data-testid="prediction-error"]').text()).toBe('notes.txt is not an image');
    expect(items[0]?.find('.class-row').exists()).toBe(false);
    expect(items[1]?.text()).toContain('Not sent');
    expect(items[2]?.text()).toContain('Classifying…');
    expect(items[3]?.text()).toContain('on the engine’s machine');
    expect(items[3]?.get('.name').attributes('title')).toBe('/data/far.png');
  });

  it('drops a preview the browser cannot draw', async () => {
    const wrapper = mount(PredictionList, { props: { images: [{ ...base, preview: 'data:image/png;base64,bm90IGFu' }] } });
    await wrapper.get('img').trigger('error');
    expect(wrapper.find('img').exists()).toBe(false);
    expect(wrapper.find('.no-preview').exists()).toBe(true);
  });

  it('shows no preview that is not an image data URL', () => {
    const wrapper = mount(PredictionList, { props: { images: [{ ...base, preview: 'javascript:alert(1)' }] } });
    expect(wrapper.find('img').exists()).toBe(false);
  });
});
