// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope, ref } from 'vue';
import { describe, expect, it } from 'vitest';
import type { CallParamsInput } from '../../../src-main/common/contract';
import {
  defaultExportName,
  exportability,
  exportNameProblem,
  exportOutPath,
  exportRequestProblem,
  joinEnginePath,
  useExport,
} from '../../../src-renderer/src/composables/useExport';
import { createFakeApi, runDetail } from './fakeApi';
import { failed, finished, RUN_ID, runEvent } from './runEvents.fixture';

describe('export paths and names', () => {
  it('names exports after the depth, data set and date, and adds each format’s ending', () => {
    expect(defaultExportName({ depth: 50, trainDir: '/data/pets/train', runId: '20261202-101010-resnet50-abcdef' })).toBe('resnet50-pets-2026-12-02');
    expect(exportOutPath('/runs/r7', 'resnet50-r7', 'onnx')).toBe('/runs/r7/resnet50-r7.onnx');
    expect(exportOutPath('/runs/r7/', 'm', 'pth')).toBe('/runs/r7/m.pth');
    expect(exportOutPath('/runs/r7', 'm', 'safetensors')).toBe('/runs/r7/m.safetensors');
    expect(exportOutPath('/runs/r7', 'm', 'tfjs')).toBe('/runs/r7/m-tfjs');
  });

  it('joins with the engine’s own separator, roots included', () => {
    expect(joinEnginePath('C:\\Users\\ada\\runs', 'm.onnx')).toBe('C:\\Users\\ada\\runs\\m.onnx');
    expect(joinEnginePath('C:\\', 'm.onnx')).toBe('C:\\m.onnx');
    expect(joinEnginePath('\\\\server\\share', 'm.onnx')).toBe('\\\\server\\share\\m.onnx');
    expect(joinEnginePath('/', 'm.onnx')).toBe('/m.onnx');
  });

  it('refuses names that are not one file name, with a reason', () => {
    expect(exportNameProblem('resnet18-r1')).toBeNull();
    expect(exportNameProblem('')).toBe('Give the export a file name.');
    expect(exportNameProblem(' model')).toBe('The file name cannot start or end with a space.');
    expect(exportNameProblem('..')).toBe("'..' cannot be a file name.");
    expect(exportNameProblem('sub/model')).toContain('cannot contain /');
    expect(exportNameProblem('a:b')).toContain('cannot contain');
    expect(exportNameProblem('x'.repeat(201))).toBe('The file name is longer than 200 characters.');
  });

  it('refuses a request without formats or folder', () => {
    const request = { runId: 'r', formats: ['onnx'] as const, folder: '/out', baseName: 'm', force: false };
    expect(exportRequestProblem(request)).toBeNull();
    expect(exportRequestProblem({ ...request, formats: [] })).toBe('Choose at least one format.');
    expect(exportRequestProblem({ ...request, folder: '' })).toBe('Choose the folder to save in, or save in the exports folder.');
    // No folder: the engine's exports folder.
    expect(exportRequestProblem({ ...request, folder: null })).toBeNull();
  });
});

describe('exportability', () => {
  it('offers finished runs, not running ones', () => {
    expect(exportability({ status: 'finished', events: [] })).toEqual({ allowed: true, note: null });
    expect(exportability({ status: 'running', events: [] }).allowed).toBe(false);
  });

  it('offers failed and cancelled runs, saying whether a checkpoint was kept', () => {
    const kept = exportability({ status: 'cancelled', events: [failed('CANCELLED', 'Cancelled by the user')] });
    expect(kept).toEqual({ allowed: true, note: 'The run was cancelled; the export uses the last good checkpoint it kept.' });
    const none = exportability({ status: 'failed', events: [failed('OUT_OF_MEMORY', 'Out of memory at batch 3')] });
    expect(none.allowed).toBe(true);
    expect(none.note).toBe('The run failed (Out of memory at batch 3) and recorded no checkpoint; the export will say whether one exists.');
    expect(exportability({ status: 'interrupted', events: [] }).note).toContain('was interrupted');
  });
});

describe('useExport', () => {
  it('loads the run, exports each format in sequence with its path and force, and keeps the last card', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', []) };
    const order: string[] = [];
    fake.handle('models.export', (params) => {
      order.push(params.format);
      if (params.format === 'pth') return { ok: false, error: { code: 'ALREADY_EXISTS', message: `${params.out} already exists` } };
      return { ok: true, value: { format: params.format, path: params.out ?? '', card: `${params.out}.md`, cardText: `# card for ${params.format}` } };
    });
    const scope = effectScope();
    const exporter = scope.run(() => useExport(fake.api, () => RUN_ID))!;
    await flushPromises();
    expect(exporter.run.value?.runId).toBe(RUN_ID);

    await exporter.exportFormats({ runId: RUN_ID, formats: ['onnx', 'pth', 'safetensors'], folder: '/out', baseName: 'm', force: true });
    expect(order).toEqual(['onnx', 'pth', 'safetensors']);
    expect(fake.received['models.export']).toEqual([
      { runId: RUN_ID, format: 'onnx', out: '/out/m.onnx', force: true },
      { runId: RUN_ID, format: 'pth', out: '/out/m.pth', force: true },
      { runId: RUN_ID, format: 'safetensors', out: '/out/m.safetensors', force: true },
    ] satisfies CallParamsInput<'models.export'>[]);
    expect(exporter.outcomes.value.map((o) => o.state)).toEqual(['done', 'failed', 'done']);
    expect(exporter.outcomes.value[1]?.error).toEqual({ code: 'ALREADY_EXISTS', message: '/out/m.pth already exists' });
    expect(exporter.outcomes.value[0]?.card).toBe('/out/m.onnx.md');
    expect(exporter.card.value).toEqual({ format: 'safetensors', path: '/out/m.safetensors.md', text: '# card for safetensors' });
    expect(exporter.exporting.value).toBe(false);
    scope.stop();
  });

  it('without a folder, asks the engine to save in its exports folder by name, and keeps the downloads it offers', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', []) };
    const download = (kind: 'model' | 'card', fileName: string) => ({ kind, url: `/download/${kind.repeat(8)}`, fileName });
    fake.handle('models.export', (params) => ({
      ok: true,
      value: {
        format: params.format,
        path: `/data/exports/${params.name}.onnx`,
        card: `/data/exports/${params.name}.onnx.md`,
        cardText: '# card',
        downloads: [download('model', `${params.name}.onnx`), download('card', `${params.name}.onnx.md`)],
      },
    }));
    const exporter = effectScope().run(() => useExport(fake.api, () => RUN_ID))!;
    await flushPromises();
    await exporter.exportFormats({ runId: RUN_ID, formats: ['onnx'], folder: null, baseName: 'resnet18-pets-2026-12-02', force: false });
    expect(fake.received['models.export']).toEqual([{ runId: RUN_ID, format: 'onnx', name: 'resnet18-pets-2026-12-02', force: false }]);
    expect(exporter.outcomes.value[0]).toMatchObject({
      state: 'done',
      out: 'resnet18-pets-2026-12-02.onnx',
      path: '/data/exports/resnet18-pets-2026-12-02.onnx',
      downloads: [download('model', 'resnet18-pets-2026-12-02.onnx'), download('card', 'resnet18-pets-2026-12-02.onnx.md')],
    });
  });

  it('sends nothing for a bad request and says why', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', []) };
    fake.handle('models.export', () => ({ ok: false, error: { code: 'INTERNAL', message: 'should not be called' } }));
    const exporter = effectScope().run(() => useExport(fake.api, () => RUN_ID))!;
    await exporter.exportFormats({ runId: RUN_ID, formats: ['onnx'], folder: '/out', baseName: 'a/b', force: false });
    expect(exporter.requestProblem.value).toContain('cannot contain /');
    expect(fake.received['models.export']).toBeUndefined();
  });

  it('shows a rejected call (a lost connection) as that format’s error', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', []) };
    fake.handle('models.export', () => Promise.reject(new Error('The connection to the engine closed')));
    const exporter = effectScope().run(() => useExport(fake.api, () => RUN_ID))!;
    await exporter.exportFormats({ runId: RUN_ID, formats: ['tfjs'], folder: '/out', baseName: 'm', force: false });
    expect(exporter.outcomes.value[0]).toMatchObject({ state: 'failed', out: '/out/m-tfjs', error: { code: 'INTERNAL', message: 'The connection to the engine closed' } });
    expect(exporter.card.value).toBeNull();
  });

  it('stops exporting for a run once another run is chosen, and shows nothing of it', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', []) };
    const runId = ref<string | null>(RUN_ID);
    fake.handle('models.export', async (params) => {
      runId.value = 'another-run';
      await flushPromises();
      return { ok: true, value: { format: params.format, path: params.out ?? '', card: `${params.out}.md`, cardText: '# card' } };
    });
    const exporter = effectScope().run(() => useExport(fake.api, runId))!;
    await flushPromises();
    await exporter.exportFormats({ runId: RUN_ID, formats: ['onnx', 'pth'], folder: '/out', baseName: 'm', force: false });
    expect(fake.received['models.export']).toHaveLength(1);
    expect(exporter.outcomes.value).toEqual([]);
    expect(exporter.card.value).toBeNull();
    expect(exporter.exporting.value).toBe(false);
  });

  it('reports a run that cannot be read, follows the chosen run and reloads when it ends', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: false, error: { code: 'NOT_FOUND', message: 'No run r-x' } };
    const runId = ref<string | null>('r-x');
    const scope = effectScope();
    const exporter = scope.run(() => useExport(fake.api, runId))!;
    await flushPromises();
    expect(exporter.runError.value?.message).toBe('No run r-x');
    expect(exporter.run.value).toBeNull();

    runId.value = null;
    await flushPromises();
    expect(exporter.runError.value).toBeNull();
    expect(fake.calls.get).toBe(1);

    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', []) };
    runId.value = RUN_ID;
    await flushPromises();
    expect(exporter.run.value?.status).toBe('running');

    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', []) };
    fake.emitRun(finished());
    await flushPromises();
    expect(exporter.run.value?.status).toBe('finished');
    // Another run's end is not ours.
    fake.emitRun(runEvent('run.failed', { runId: 'other', folder: '/runs/other', error: { code: 'IO', message: 'x' }, checkpoint: null }));
    await flushPromises();
    expect(fake.calls.get).toBe(3);

    scope.stop();
    expect(fake.listenerCount()).toBe(0);
  });
});
