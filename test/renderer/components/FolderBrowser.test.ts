// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallParamsInput, CallResult, Reply } from '../../../src-main/common/contract';
import FolderBrowser from '../../../src-renderer/src/components/FolderBrowser.vue';
import { createFakeApi, type FakeApi } from '../composables/fakeApi';

type Listing = CallResult<'files.browse'>;

/** A disk with one data root, /data, holding a train folder of two classes. */
const TREE: Record<string, Listing> = {
  '': { path: null, parent: null, roots: ['/data'], entries: [{ name: '/data', path: '/data', kind: 'folder' }], truncated: false },
  '/data': { path: '/data', parent: null, roots: ['/data'], entries: [{ name: 'train', path: '/data/train', kind: 'folder' }], truncated: false },
  '/data/train': {
    path: '/data/train',
    parent: '/data',
    roots: ['/data'],
    entries: [
      { name: 'cat', path: '/data/train/cat', kind: 'folder' },
      { name: 'notes.png', path: '/data/train/notes.png', kind: 'file' },
    ],
    truncated: false,
  },
};

function diskApi(): FakeApi {
  const fake = createFakeApi();
  fake.handle('files.browse', (params?: CallParamsInput<'files.browse'>): Reply<Listing> => {
    const listing = TREE[params?.path ?? ''];
    return listing
      ? { ok: true, value: listing }
      : { ok: false, error: { code: 'BAD_INPUT', message: `${params?.path} is outside the folders this server may read (/data).` } };
  });
  window.workbench = fake.api;
  return fake;
}

afterEach(() => {
  delete window.workbench;
});

describe('FolderBrowser, New folder', () => {
  it('makes a folder in the folder shown and goes into it, ready to be chosen', async () => {
    const fake = diskApi();
    fake.handle('files.mkdir', (params: CallParamsInput<'files.mkdir'>): Reply<CallResult<'files.mkdir'>> => {
      if (params.name === 'train') return { ok: false, error: { code: 'ALREADY_EXISTS', message: "There is already something named 'train' in /data; choose another name." } };
      const made = `${params.parent}/${params.name}`;
      TREE[made] = { path: made, parent: params.parent, roots: ['/data'], entries: [], truncated: false };
      return { ok: true, value: { path: made } };
    });
    const wrapper = mount(FolderBrowser, { props: { kind: 'folder', title: 'Export folder' }, attachTo: document.body });
    await flushPromises();
    // At the roots there is no folder to make one in.
    expect(wrapper.get('[data-testid="browser-new-folder"]').attributes('disabled')).toBeDefined();
    await wrapper.find('[data-name="/data"]').trigger('click');
    await flushPromises();
    await wrapper.get('[data-testid="browser-new-folder"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="browser-new-folder-form"]').text()).toContain('New folder in /data');
    expect(document.activeElement).toBe(wrapper.get('[data-testid="browser-new-folder-name"]').element);

    await wrapper.get('[data-testid="browser-new-folder-form"]').trigger('submit');
    expect(wrapper.get('[data-testid="browser-new-folder-problem"]').text()).toBe('Give the folder a name.');
    await wrapper.get('[data-testid="browser-new-folder-name"]').setValue('a/b');
    await wrapper.get('[data-testid="browser-new-folder-form"]').trigger('submit');
    expect(wrapper.get('[data-testid="browser-new-folder-problem"]').text()).toContain('The folder name cannot contain /');
    await wrapper.get('[data-testid="browser-new-folder-name"]').setValue('train');
    await wrapper.get('[data-testid="browser-new-folder-form"]').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[data-testid="browser-new-folder-problem"]').text()).toContain('already something named');
    expect(fake.received['files.mkdir']).toEqual([{ parent: '/data', name: 'train' }]);

    await wrapper.get('[data-testid="browser-new-folder-name"]').setValue('models');
    await wrapper.get('[data-testid="browser-new-folder-form"]').trigger('submit');
    await flushPromises();
    expect(wrapper.find('[data-testid="browser-new-folder-form"]').exists()).toBe(false);
    expect(wrapper.get<HTMLInputElement>('[data-testid="browser-location"]').element.value).toBe('/data/models');
    await wrapper.get('[data-testid="browser-choose"]').trigger('click');
    expect(wrapper.emitted('choose')).toEqual([['/data/models']]);
    wrapper.unmount();
  });

  it('is not offered when a file is being chosen', async () => {
    diskApi();
    const wrapper = mount(FolderBrowser, { props: { kind: 'file', title: 'Checkpoint' } });
    await flushPromises();
    expect(wrapper.find('[data-testid="browser-new-folder"]').exists()).toBe(false);
  });
});

describe('FolderBrowser', () => {
  it('starts at the roots, goes into folders and up, and chooses the folder it shows', async () => {
    const fake = diskApi();
    const wrapper = mount(FolderBrowser, { props: { kind: 'folder', title: 'Train folder' } });
    await flushPromises();
    expect(wrapper.find('[data-testid="folder-browser"]').attributes('open')).toBeDefined();
    expect(wrapper.find('[data-testid="browser-choose"]').attributes('disabled')).toBeDefined();

    await wrapper.find('[data-name="/data"]').trigger('click');
    await flushPromises();
    await wrapper.find('[data-name="train"]').trigger('click');
    await flushPromises();
    expect(wrapper.findAll('[data-testid="browser-entry"]').map((b) => b.attributes('data-name'))).toEqual(['cat', 'notes.png']);
    // A file cannot be a folder's answer.
    expect(wrapper.find('[data-name="notes.png"]').attributes('disabled')).toBeDefined();

    await wrapper.find('[data-testid="browser-up"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-name="train"]').exists()).toBe(true);
    await wrapper.find('[data-name="train"]').trigger('click');
    await flushPromises();
    await wrapper.find('[data-testid="browser-choose"]').trigger('click');
    expect(wrapper.emitted('choose')).toEqual([['/data/train']]);
    expect(fake.received['files.browse']).toEqual([
      { include: 'folders' },
      { path: '/data', include: 'folders' },
      { path: '/data/train', include: 'folders' },
      { path: '/data', include: 'folders' },
      { path: '/data/train', include: 'folders' },
    ]);
  });

  it('chooses a file by clicking it when a file is asked for, listing images', async () => {
    const fake = diskApi();
    const wrapper = mount(FolderBrowser, { props: { kind: 'file', title: 'Checkpoint', start: '/data/train' } });
    await flushPromises();
    expect(fake.received['files.browse']).toEqual([{ path: '/data/train', include: 'images' }]);
    expect(wrapper.find('[data-testid="browser-choose"]').exists()).toBe(false);
    await wrapper.find('[data-name="notes.png"]').trigger('click');
    expect(wrapper.emitted('choose')).toEqual([['/data/train/notes.png']]);
  });

  it('shows the engine’s refusal of a typed path and keeps the listing', async () => {
    diskApi();
    const wrapper = mount(FolderBrowser, { props: { kind: 'folder', title: 'Train folder', start: '/data' } });
    await flushPromises();
    await wrapper.find('[data-testid="browser-location"]').setValue('/etc');
    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(wrapper.find('[data-testid="browser-error"]').text()).toBe('/etc is outside the folders this server may read (/data).');
    expect(wrapper.find('[data-name="train"]').exists()).toBe(true);
  });

  it('falls back to the roots when the start folder cannot be listed, and cancels', async () => {
    diskApi();
    const wrapper = mount(FolderBrowser, { props: { kind: 'folder', title: 'Train folder', start: '/gone' } });
    await flushPromises();
    expect(wrapper.find('[data-name="/data"]').exists()).toBe(true);
    await wrapper.findAll('button').find((b) => b.text() === 'Cancel')!.trigger('click');
    expect(wrapper.emitted('cancel')).toHaveLength(1);
  });
});
