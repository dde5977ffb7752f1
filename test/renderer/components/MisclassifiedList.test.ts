// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { Misclassified } from '../../../src-main/common/runEvents';
import MisclassifiedList from '../../../src-renderer/src/components/MisclassifiedList.vue';
import { createFakeApi } from '../composables/fakeApi';

function item(n: number, loss: number): Misclassified {
  return { file: `/val/dog/d${n}.jpg`, actual: 'dog', predicted: 'cat', confidence: 0.6, loss };
}

function setup(items: Misclassified[], pageSize?: number) {
  const fake = createFakeApi();
  fake.handle('images.thumbnails', (params) => ({
    ok: true,
    value: { thumbnails: params.paths.map((path) => ({ path, dataUrl: `data:image/jpeg;base64,${btoa(path)}`, width: 8, height: 8 })) },
  }));
  const wrapper = mount(MisclassifiedList, { props: { api: fake.api, items, ...(pageSize === undefined ? {} : { pageSize }) } });
  return { fake, wrapper };
}

describe('MisclassifiedList', () => {
  it('lists the worst first with thumbnail, actual → predicted, confidence and loss', async () => {
    const { wrapper } = setup([item(1, 0.9), item(2, 2.5), item(3, 1.4)]);
    await flushPromises();
    const rows = wrapper.findAll('[data-testid="misclassified-item"]');
    expect(rows.map((row) => row.get('.name').text())).toEqual(['d2.jpg', 'd3.jpg', 'd1.jpg']);
    expect(rows[0]!.get('.classes').text()).toBe('dog → cat');
    expect(rows[0]!.get('.numbers').text()).toBe('60.0% confident · loss 2.500');
    expect(rows[0]!.get('img').attributes('src')).toBe(`data:image/jpeg;base64,${btoa('/val/dog/d2.jpg')}`);
    expect(rows[0]!.attributes('title')).toBe('/val/dog/d2.jpg');
  });

  it('asks for thumbnails a page at a time', async () => {
    const items = Array.from({ length: 5 }, (_, i) => item(i, 5 - i));
    const { fake, wrapper } = setup(items, 2);
    await flushPromises();
    expect(wrapper.findAll('[data-testid="misclassified-item"]')).toHaveLength(2);
    expect(fake.received['images.thumbnails']).toEqual([{ paths: ['/val/dog/d0.jpg', '/val/dog/d1.jpg'], size: 96 }]);
    await wrapper.get('[data-testid="misclassified-more"]').trigger('click');
    await flushPromises();
    expect(wrapper.findAll('[data-testid="misclassified-item"]')).toHaveLength(4);
    expect(fake.received['images.thumbnails']).toHaveLength(2);
    expect((fake.received['images.thumbnails']![1] as { paths: string[] }).paths).toEqual(['/val/dog/d2.jpg', '/val/dog/d3.jpg']);
    expect(wrapper.get('[data-testid="misclassified-more"]').text()).toContain('1 left');
  });

  it('says so when nothing was misclassified', () => {
    const { fake, wrapper } = setup([]);
    expect(wrapper.text()).toContain('every evaluation image was classified correctly');
    expect(fake.received['images.thumbnails']).toBeUndefined();
  });

  it('opens an image large with its path and classes, steps with the arrow keys and closes with Escape', async () => {
    const { fake, wrapper } = setup([item(1, 0.9), item(2, 2.5), item(3, 1.4)]);
    await flushPromises();
    // The second worst (d3): opened at its place in the sorted list.
    await wrapper.findAll('[data-testid="misclassified-open"]')[1]!.trigger('click');
    await flushPromises();
    const viewer = () => wrapper.get('[data-testid="image-viewer"]');
    expect(viewer().get('[data-testid="viewer-position"]').text()).toBe('2 of 3');
    expect(viewer().get('[data-testid="viewer-path"]').text()).toBe('/val/dog/d3.jpg');
    expect(viewer().get('[data-testid="viewer-facts"]').text()).toContain('cat, 60.0% confident · loss 1.400');
    expect(viewer().get('[data-testid="viewer-image"]').attributes('src')).toBe(`data:image/jpeg;base64,${btoa('/val/dog/d3.jpg')}`);
    // Large previews (512 px), the neighbours with it.
    const large = (fake.received['images.thumbnails'] as { paths: string[]; size: number }[]).filter((call) => call.size === 512);
    expect(large.flatMap((call) => call.paths).sort()).toEqual(['/val/dog/d1.jpg', '/val/dog/d2.jpg', '/val/dog/d3.jpg']);

    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
    await flushPromises();
    expect(viewer().get('[data-testid="viewer-position"]').text()).toBe('3 of 3');
    expect(viewer().get('[data-testid="viewer-next"]').attributes('disabled')).toBeDefined();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' }));
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' }));
    await flushPromises();
    expect(viewer().get('[data-testid="viewer-path"]').text()).toBe('/val/dog/d2.jpg');
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await flushPromises();
    expect(wrapper.find('[data-testid="image-viewer"]').exists()).toBe(false);
    wrapper.unmount();
  });
});
