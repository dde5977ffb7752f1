// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ImageDropZone from '../../../src-renderer/src/components/ImageDropZone.vue';

const png = (name: string) => new File([new Uint8Array([1])], name, { type: 'image/png' });

/** Sets an input's chosen files, which a script cannot do through the DOM's own API. */
function choose(input: HTMLInputElement, files: File[]): void {
  Object.defineProperty(input, 'files', { value: files, configurable: true });
}

describe('ImageDropZone', () => {
  it('hands over dropped files in order', async () => {
    const wrapper = mount(ImageDropZone);
    const zone = wrapper.get('[data-testid="try-drop"]');
    await zone.trigger('dragover', { dataTransfer: { files: [], dropEffect: 'none' } });
    expect(zone.classes()).toContain('dragging');
    const files = [png('a.png'), png('b.png')];
    await zone.trigger('drop', { dataTransfer: { files } });
    expect(wrapper.emitted('files')).toEqual([[files]]);
    expect(zone.classes()).not.toContain('dragging');
  });

  it('hands over chosen files, accepting images only, several at once', async () => {
    const wrapper = mount(ImageDropZone);
    const input = wrapper.get<HTMLInputElement>('[data-testid="try-file-input"]');
    expect(input.attributes('accept')).toBe('image/*');
    expect(input.attributes('multiple')).toBeDefined();
    expect(input.element.closest('label')?.textContent).toContain('Choose images…');
    const files = [png('c.png')];
    choose(input.element, files);
    await input.trigger('change');
    expect(wrapper.emitted('files')).toEqual([[files]]);
  });

  it('ignores an empty drop and everything while disabled', async () => {
    const wrapper = mount(ImageDropZone, { props: { disabled: true } });
    await wrapper.get('[data-testid="try-drop"]').trigger('drop', { dataTransfer: { files: [png('a.png')] } });
    expect(wrapper.get('[data-testid="try-file-input"]').attributes('disabled')).toBeDefined();
    await wrapper.setProps({ disabled: false });
    await wrapper.get('[data-testid="try-drop"]').trigger('drop', { dataTransfer: { files: [] } });
    expect(wrapper.emitted('files')).toBeUndefined();
  });
});
