// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { CallResult, Reply } from '../../../src-main/common/contract';
import ImageGallery from '../../../src-renderer/src/components/ImageGallery.vue';
import { createFakeApi } from '../composables/fakeApi';

const labels = ['cat', 'dog', 'fox'];
const query = { runId: 'r1', epoch: 3, actual: 1, predicted: 0 };

function cellReply(images: { file: string; confidence: number }[], total = images.length): Reply<CallResult<'runs.images'>> {
  return { ok: true, value: { epoch: 3, actual: 'dog', predicted: 'cat', total, images } };
}

function setup(reply: Reply<CallResult<'runs.images'>>) {
  const fake = createFakeApi();
  fake.handle('runs.images', () => reply);
  fake.handle('images.thumbnails', (params) => ({
    ok: true,
    value: {
      thumbnails: params.paths.map((path) =>
        path.includes('broken') ? { path, error: { code: 'BAD_INPUT' as const, message: 'Not an image.' } } : { path, dataUrl: `data:image/jpeg;base64,${btoa(path)}`, width: 8, height: 8 },
      ),
    },
  }));
  const wrapper = mount(ImageGallery, { props: { api: fake.api, query, labels }, attachTo: document.body });
  return { fake, wrapper };
}

describe('ImageGallery', () => {
  it('lists the cell’s images with their thumbnails and confidence', async () => {
    const { fake, wrapper } = setup(cellReply([{ file: '/val/dog/a.jpg', confidence: 0.91 }, { file: '/val/dog/broken.jpg', confidence: 0.4 }]));
    expect(wrapper.text()).toContain('Loading the images');
    await flushPromises();
    expect(fake.received['runs.images']).toEqual([{ runId: 'r1', epoch: 3, actual: 1, predicted: 0, limit: 200 }]);
    const dialog = wrapper.get('[data-testid="image-gallery"]');
    expect(dialog.attributes('role')).toBe('dialog');
    expect(dialog.attributes('aria-modal')).toBe('true');
    expect(dialog.get('h3').text()).toContain('dog predicted as cat');
    expect(dialog.get('h3').text()).toContain('epoch 3');
    const items = dialog.findAll('[data-testid="gallery-item"]');
    expect(items.map((item) => item.get('[data-testid="gallery-confidence"]').text())).toEqual(['91.0% confident', '40.0% confident']);
    expect(items[0]!.get('img').attributes('src')).toBe(`data:image/jpeg;base64,${btoa('/val/dog/a.jpg')}`);
    expect(items[0]!.get('img').attributes('alt')).toBe('a.jpg');
    expect(items[1]!.find('img').exists()).toBe(false);
    expect(items[1]!.text()).toContain('no preview');
    expect(fake.received['images.thumbnails']).toEqual([{ paths: ['/val/dog/a.jpg', '/val/dog/broken.jpg'], size: 128 }]);
    expect(dialog.get('[data-testid="gallery-count"]').text()).toContain('2 images');
    wrapper.unmount();
  });

  it('says when only the most confident part of a large cell is listed, and when a cell is empty', async () => {
    const { wrapper } = setup(cellReply([{ file: '/val/dog/a.jpg', confidence: 0.9 }], 350));
    await flushPromises();
    expect(wrapper.get('[data-testid="gallery-count"]').text()).toBe('The 1 most confident of 350 images.');
    wrapper.unmount();
    const empty = setup(cellReply([]));
    await flushPromises();
    expect(empty.wrapper.get('[data-testid="gallery-count"]').text()).toBe('No images in this cell.');
    expect(empty.fake.received['images.thumbnails']).toBeUndefined();
    empty.wrapper.unmount();
  });

  it('explains an epoch whose per-image results are not kept', async () => {
    const { wrapper } = setup({ ok: false, error: { code: 'NOT_FOUND', message: 'Epoch 3 has no per-image results.' } });
    await flushPromises();
    const error = wrapper.get('[data-testid="gallery-error"]');
    expect(error.attributes('role')).toBe('alert');
    expect(error.text()).toContain('The images of epoch 3 are not kept');
    expect(error.text()).toContain('Epoch 3 has no per-image results.');
    wrapper.unmount();
  });

  it('shows any other failure with its message', async () => {
    const { wrapper } = setup({ ok: false, error: { code: 'IO', message: 'The run folder cannot be read.' } });
    await flushPromises();
    const error = wrapper.get('[data-testid="gallery-error"]');
    expect(error.text()).toContain('Could not load the images.');
    expect(error.text()).toContain('The run folder cannot be read.');
    wrapper.unmount();
  });

  it('closes with its button, with Escape and with a click outside; focus starts on Close', async () => {
    const added = vi.spyOn(document, 'addEventListener');
    const removed = vi.spyOn(document, 'removeEventListener');
    const { wrapper } = setup(cellReply([]));
    await flushPromises();
    expect(document.activeElement).toBe(wrapper.get('[data-testid="gallery-close"]').element);
    await wrapper.get('[data-testid="gallery-close"]').trigger('click');
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await wrapper.get('.modal-overlay').trigger('click');
    await wrapper.get('[data-testid="image-gallery"]').trigger('click');
    expect(wrapper.emitted('close')).toHaveLength(3);
    // Once gone, it no longer listens for Escape.
    const keyListener = added.mock.calls.find(([type]) => type === 'keydown')?.[1];
    expect(keyListener).toBeDefined();
    wrapper.unmount();
    expect(removed).toHaveBeenCalledWith('keydown', keyListener);
    added.mockRestore();
    removed.mockRestore();
  });

  it('loads the new cell when the query changes, and ignores the old reply', async () => {
    const fake = createFakeApi();
    const pending: ((reply: Reply<CallResult<'runs.images'>>) => void)[] = [];
    fake.handle('runs.images', () => new Promise((resolve) => pending.push(resolve)));
    fake.handle('images.thumbnails', (params) => ({ ok: true, value: { thumbnails: params.paths.map((path) => ({ path, dataUrl: 'data:,', width: 1, height: 1 })) } }));
    const wrapper = mount(ImageGallery, { props: { api: fake.api, query, labels } });
    await wrapper.setProps({ query: { ...query, actual: 2, predicted: 2 } });
    expect(wrapper.get('h3').text()).toContain('fox predicted correctly');
    pending[1]!({ ok: true, value: { epoch: 3, actual: 'fox', predicted: 'fox', total: 1, images: [{ file: '/val/fox/f.jpg', confidence: 0.99 }] } });
    pending[0]!(cellReply([{ file: '/val/dog/old.jpg', confidence: 0.5 }]));
    await flushPromises();
    expect(wrapper.findAll('[data-testid="gallery-item"]').map((item) => item.text())).toEqual([expect.stringContaining('f.jpg')]);
    wrapper.unmount();
  });
});
