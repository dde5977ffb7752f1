// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeApi } from '../composables/fakeApi';
import ExportResult from '../../../src-renderer/src/components/ExportResult.vue';
import type { ExportOutcome } from '../../../src-renderer/src/composables/useExport';

const base: ExportOutcome = { format: 'onnx', out: '/out/m.onnx', state: 'waiting', path: null, card: null, downloads: [], error: null };
const done: ExportOutcome = { ...base, state: 'done', path: '/out/m.onnx', card: '/out/m.onnx.md' };

afterEach(() => {
  delete window.workbench;
});

describe('ExportResult', () => {
  it('shows where a finished export and its card went', () => {
    const wrapper = mount(ExportResult, { props: { outcome: done } });
    const item = wrapper.get('[data-testid="export-result"]');
    expect(item.attributes('data-format')).toBe('onnx');
    expect(item.attributes('data-state')).toBe('done');
    expect(item.text()).toContain('ONNX');
    expect(item.text()).toContain('Saved');
    expect(item.text()).toContain('Saved on the engine’s machine: /out/m.onnx');
    expect(item.text()).toContain('Model card: /out/m.onnx.md');
    expect(item.find('[role="alert"]').exists()).toBe(false);
    // Neither a download offered nor a desktop app: no action.
    expect(item.find('a').exists()).toBe(false);
    expect(item.find('button').exists()).toBe(false);
  });

  it('offers the model and its card as downloads to this computer (browser mode)', () => {
    const downloads = [
      { kind: 'model' as const, url: '/download/abcdefghijklmnopqrstuvwxyz012345', fileName: 'resnet18-pets-2026-12-02.onnx' },
      { kind: 'card' as const, url: '/download/bcdefghijklmnopqrstuvwxyz0123456', fileName: 'resnet18-pets-2026-12-02.onnx.md' },
    ];
    const wrapper = mount(ExportResult, { props: { outcome: { ...done, downloads } } });
    const model = wrapper.get<HTMLAnchorElement>('[data-testid="export-download"]');
    expect(model.text()).toBe('Download to this computer');
    expect(model.attributes('href')).toBe(downloads[0]!.url);
    expect(model.attributes('download')).toBe('resnet18-pets-2026-12-02.onnx');
    const card = wrapper.get('[data-testid="export-download-card"]');
    expect(card.attributes('href')).toBe(downloads[1]!.url);
    expect(card.attributes('download')).toBe('resnet18-pets-2026-12-02.onnx.md');
    expect(wrapper.text()).toContain('resnet18-pets-2026-12-02.onnx');
  });

  it('says a tfjs download is the folder as a zip with its card', () => {
    const downloads = [{ kind: 'model' as const, url: '/download/abcdefghijklmnopqrstuvwxyz012345', fileName: 'm-tfjs.zip' }];
    const wrapper = mount(ExportResult, { props: { outcome: { ...done, format: 'tfjs', path: '/out/m-tfjs', card: '/out/m-tfjs/README.md', downloads } } });
    expect(wrapper.text()).toContain('m-tfjs.zip (the folder as a zip, with its model card)');
    expect(wrapper.find('[data-testid="export-download-card"]').exists()).toBe(false);
  });

  it('shows the file in its folder in the desktop app, and says so when that fails', async () => {
    const showInFolder = vi.fn(async (target: string) => {
      if (target !== '/out/m.onnx') throw new Error('refused');
    });
    window.workbench = { ...createFakeApi().api, dialogs: { pickPaths: async () => [], showInFolder } };
    const wrapper = mount(ExportResult, { props: { outcome: done } });
    expect(wrapper.text()).toContain('Model: /out/m.onnx');
    await wrapper.get('[data-testid="export-show-in-folder"]').trigger('click');
    expect(showInFolder).toHaveBeenCalledWith('/out/m.onnx');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
    await wrapper.setProps({ outcome: { ...done, path: '/moved.onnx' } });
    await wrapper.get('[data-testid="export-show-in-folder"]').trigger('click');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(wrapper.get('[role="alert"]').text()).toContain('could not be shown');
  });

  it('shows the engine’s error and asks the replace question when the file exists', () => {
    const error = { code: 'ALREADY_EXISTS' as const, message: "'/out/m.pth' already exists." };
    const wrapper = mount(ExportResult, { props: { outcome: { ...base, format: 'pth', state: 'failed', error }, replaceQuestion: 'Replace the existing files?' } });
    expect(wrapper.get('[role="alert"]').text()).toBe(error.message);
    expect(wrapper.text()).toContain('Not saved');
    expect(wrapper.text()).toContain('A file with this name is already there and was kept. Tick “Replace the existing files?” and export again');
    expect(wrapper.text()).not.toMatch(/force|overwrite/i);
  });

  it('says what a missing folder is about, apart from a run without a model', () => {
    const folder = mount(ExportResult, { props: { outcome: { ...base, state: 'failed', error: { code: 'NOT_FOUND', message: "The folder for the export '/gone' does not exist." } } } });
    expect(folder.text()).toContain('The folder to save in is not there: choose one that is (Choose… can also make a new folder), or save in the exports folder.');
    const model = mount(ExportResult, { props: { outcome: { ...base, state: 'failed', error: { code: 'NOT_FOUND', message: 'The run r has no best.safetensors yet.' } } } });
    expect(model.text()).toContain('This run kept no model to export.');
  });

  it('gives no advice for an error it has none for, and shows the planned path while waiting', () => {
    const failed = mount(ExportResult, { props: { outcome: { ...base, state: 'failed', error: { code: 'INTERNAL', message: 'boom' } } } });
    expect(failed.findAll('p').map((p) => p.text())).toEqual(['boom']);
    const waiting = mount(ExportResult, { props: { outcome: { ...base, format: 'tfjs', out: '/out/m-tfjs' } } });
    expect(waiting.text()).toContain('Waiting');
    expect(waiting.text()).toContain('/out/m-tfjs');
  });
});
