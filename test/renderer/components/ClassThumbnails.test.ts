// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import ClassThumbnails from '../../../src-renderer/src/components/ClassThumbnails.vue';
import { createFakeApi } from '../composables/fakeApi';

afterEach(() => {
  delete window.workbench;
});

describe('ClassThumbnails', () => {
  it('shows a strip of previews per class, and pages long class lists', async () => {
    const fake = createFakeApi();
    const classes = ['a', 'b', 'c'];
    fake.handle('files.browse', (params) => {
      const path = params?.path ?? '/';
      const entries =
        path === '/data'
          ? classes.map((name) => ({ name, path: `/data/${name}`, kind: 'folder' as const }))
          : [{ name: '1.png', path: `${path}/1.png`, kind: 'file' as const }];
      return { ok: true, value: { path, parent: null, roots: ['/data'], entries, truncated: false } };
    });
    fake.handle('images.thumbnails', (params) => ({
      ok: true,
      value: { thumbnails: params.paths.map((path) => ({ path, dataUrl: `data:image/png;base64,${path.length}`, width: 10, height: 10 })) },
    }));
    window.workbench = fake.api;
    const wrapper = mount(ClassThumbnails, { props: { root: '/data', classes, pageSize: 2 } });
    await flushPromises();
    expect(wrapper.findAll('[data-testid="class-thumbnail-row"]').map((row) => row.attributes('data-class'))).toEqual(['a', 'b']);
    expect(wrapper.get('[data-class="b"] img').attributes('alt')).toBe('b: /data/b/1.png');
    expect(fake.received['images.thumbnails']).toHaveLength(2);

    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-class="c"] img').exists()).toBe(true);
    expect(fake.received['images.thumbnails']).toHaveLength(3);
  });
});
