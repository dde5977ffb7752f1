// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PickPathsOptions, WorkbenchApi } from '../../../src-main/common/contract';
import PathPicker from '../../../src-renderer/src/components/PathPicker.vue';
import { createFakeApi } from '../composables/fakeApi';

afterEach(() => {
  delete window.workbench;
});

const props = { modelValue: null, kind: 'folder' as const, label: 'Train folder', testid: 'train-dir' };

describe('PathPicker', () => {
  it('uses the native dialog in the desktop app', async () => {
    const fake = createFakeApi();
    const pickPaths = vi.fn(async (_options: PickPathsOptions) => ['/home/me/train']);
    window.workbench = { ...fake.api, dialogs: { pickPaths, showInFolder: async () => undefined } } satisfies WorkbenchApi;
    const wrapper = mount(PathPicker, { props });
    await wrapper.find('[data-testid="train-dir-choose"]').trigger('click');
    await flushPromises();
    expect(pickPaths).toHaveBeenCalledWith({ kind: 'folder', title: 'Train folder' });
    expect(wrapper.emitted('update:modelValue')).toEqual([['/home/me/train']]);
    expect(wrapper.find('[data-testid="folder-browser"]').exists()).toBe(false);
    expect(fake.received['files.browse']).toBeUndefined();
  });

  it('keeps the choice when the native dialog is cancelled', async () => {
    const fake = createFakeApi();
    window.workbench = { ...fake.api, dialogs: { pickPaths: async () => [], showInFolder: async () => undefined } } satisfies WorkbenchApi;
    const wrapper = mount(PathPicker, { props: { ...props, modelValue: '/data/train' } });
    await wrapper.find('[data-testid="train-dir-choose"]').trigger('click');
    await flushPromises();
    expect(wrapper.emitted('update:modelValue')).toBeUndefined();
  });

  it('opens the folder browser in a browser and takes its answer', async () => {
    const fake = createFakeApi();
    fake.handle('files.browse', () => ({
      ok: true,
      value: { path: '/data', parent: null, roots: ['/data'], entries: [], truncated: false },
    }));
    window.workbench = fake.api;
    const wrapper = mount(PathPicker, { props: { ...props, modelValue: '/data' } });
    await wrapper.find('[data-testid="train-dir-choose"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="folder-browser"]').exists()).toBe(true);
    expect(fake.received['files.browse']).toEqual([{ path: '/data', include: 'folders' }]);
    await wrapper.find('[data-testid="browser-choose"]').trigger('click');
    expect(wrapper.emitted('update:modelValue')).toEqual([['/data']]);
    expect(wrapper.find('[data-testid="folder-browser"]').exists()).toBe(false);
  });

  it('takes a pasted path, and clears an optional one', async () => {
    window.workbench = createFakeApi().api;
    const wrapper = mount(PathPicker, { props: { ...props, modelValue: '/data/test', clearable: true } });
    await wrapper.find('[data-testid="train-dir-input"]').setValue('  /data/other  ');
    await wrapper.find('[data-testid="train-dir-clear"]').trigger('click');
    expect(wrapper.emitted('update:modelValue')).toEqual([['/data/other'], [null]]);
  });

  it('shows why the native dialog failed', async () => {
    const fake = createFakeApi();
    window.workbench = { ...fake.api, dialogs: { pickPaths: async () => Promise.reject(new Error('The window is gone.')), showInFolder: async () => undefined } } satisfies WorkbenchApi;
    const wrapper = mount(PathPicker, { props });
    await wrapper.find('[data-testid="train-dir-choose"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[role="alert"]').text()).toBe('The window is gone.');
    expect(wrapper.emitted('update:modelValue')).toBeUndefined();
  });
});
