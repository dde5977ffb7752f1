import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Workbench, type WorkbenchEvent } from '../../../src-main/node/service/workbench';
import { validateResult, type EngineInfo } from '../../../src-main/common/contract';
import { WorkbenchError } from '../../../src-main/common/errors';
import { PRETRAINED_WEIGHTS, type PretrainedWeights } from '../../../src-main/node/weights/catalog';

let weightsFolder: string;
beforeAll(async () => {
  weightsFolder = await mkdtemp(path.join(tmpdir(), 'workbench-service-weights-'));
});
afterAll(async () => {
  await rm(weightsFolder, { recursive: true, force: true });
});

const fakeEngine: EngineInfo = {
  backend: 'cpu',
  tfjsBackend: 'cpu',
  versions: { tfjs: '4.22.0' },
  convGradients: true,
  skipped: [{ backend: 'wasm', reason: 'not wanted' }],
};

describe('Workbench.dispatch', () => {
  it('answers engine.info from the real backend chain with plain, contract-valid data', async () => {
    const reply = await new Workbench().dispatch('engine.info', undefined);
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(reply.value.backend);
    expect(reply.value.versions.tfjs).toBe('4.22.0');
    // The frozen-network engine: ONNX Runtime on its CPU provider here, with the GPU provider it could not load named.
    expect(reply.value.inference).toMatchObject({ engine: 'onnxruntime', provider: 'cpu', threads: expect.any(Number) });
    if (process.platform === 'linux' && process.arch === 'x64') expect(reply.value.inference?.skipped.map((s) => s.choice)).toEqual(['onnxruntime cuda']);
    // Plain data survives structured cloning (what IPC does) unchanged.
    expect(structuredClone(reply)).toEqual(reply);
    expect(validateResult('engine.info', reply.value).ok).toBe(true);
  });

  it('drops what the engine reports beyond the contract', async () => {
    const workbench = new Workbench({ startEngine: async () => ({ ...fakeEngine, internal: { handle: 1 } }) as EngineInfo });
    expect(await workbench.dispatch('engine.info', {})).toEqual({ ok: true, value: fakeEngine });
  });

  it('refuses an unknown call and names the known ones', async () => {
    const reply = await new Workbench().dispatch('runs.explode', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    if (!reply.ok) expect(reply.error.message).toContain('engine.info');
  });

  it('validates parameters before any engine code runs', async () => {
    const startEngine = vi.fn(async () => fakeEngine);
    const reply = await new Workbench({ startEngine }).dispatch('engine.info', { backend: 'cpu' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(startEngine).not.toHaveBeenCalled();
  });

  it('keeps a WorkbenchError’s code, makes a failing backend BACKEND and anything else INTERNAL', async () => {
    const offline = new Workbench({ startEngine: async () => Promise.reject(new WorkbenchError('NOT_AVAILABLE', 'no engine here')) });
    expect(await offline.dispatch('engine.info', undefined)).toEqual({ ok: false, error: { code: 'NOT_AVAILABLE', message: 'no engine here' } });

    const noBackend = new Workbench({ startEngine: async () => Promise.reject(new Error('No TensorFlow.js backend could be loaded')) });
    expect(await noBackend.dispatch('engine.info', undefined)).toEqual({
      ok: false,
      error: { code: 'BACKEND', message: 'No TensorFlow.js backend could be loaded' },
    });

    const bug = new Workbench();
    Object.assign(bug.handlers, {
      'models.catalog': () => {
        throw new TypeError('x is undefined');
      },
    });
    expect(await bug.dispatch('models.catalog', undefined)).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'x is undefined' } });
  });

  it('refuses to send a result that breaks the contract', async () => {
    const broken = { ...PRETRAINED_WEIGHTS[0]!, depth: 19 } as unknown as PretrainedWeights;
    const workbench = new Workbench({ weights: { folder: weightsFolder, catalog: [broken] } });
    const reply = await workbench.dispatch('weights.list', undefined);
    expect(reply).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    if (!reply.ok) expect(reply.error.message).toContain("result of 'weights.list'");
  });

  it('lists torchvision’s checkpoints with their presence, and imported ones, from the weights folder', async () => {
    const resnet18 = PRETRAINED_WEIGHTS.find((w) => w.depth === 18)!;
    await writeFile(path.join(weightsFolder, resnet18.fileName), Buffer.alloc(1234));
    await mkdir(path.join(weightsFolder, 'imported'), { recursive: true });
    const imported = {
      fileName: 'finetuned-0123abcd.safetensors',
      source: '/home/lab/finetuned.safetensors',
      depth: 50,
      numClasses: 10,
      sha256: '0123abcd'.padEnd(64, '0'),
      bytes: 99,
      importedAt: '2026-11-27T10:00:00.000Z',
    };
    await writeFile(path.join(weightsFolder, 'imported', imported.fileName), Buffer.alloc(99));
    await writeFile(path.join(weightsFolder, 'imported', `${imported.fileName}.json`), JSON.stringify(imported));

    const reply = await new Workbench({ weights: { folder: weightsFolder } }).dispatch('weights.list', undefined);
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    expect(reply.value.pretrained.map((w) => `${w.depth}/${w.variant}`)).toEqual(PRETRAINED_WEIGHTS.map((w) => `${w.depth}/${w.variant}`));
    const present = reply.value.pretrained.filter((w) => w.present);
    expect(present).toHaveLength(1);
    expect(present[0]).toMatchObject({
      depth: 18,
      variant: 'IMAGENET1K_V1',
      fileName: 'resnet18-f37072fd.pth',
      top1: 69.758,
      bytes: 1234,
      path: path.join(weightsFolder, 'resnet18-f37072fd.pth'),
    });
    expect(reply.value.pretrained.find((w) => w.depth === 50 && w.variant === 'IMAGENET1K_V2')).toMatchObject({
      present: false,
      resizeSize: 232,
      cropSize: 224,
    });
    expect(reply.value.imported).toEqual([{ ...imported, path: path.join(weightsFolder, 'imported', imported.fileName) }]);
    expect(structuredClone(reply)).toEqual(reply);
  });

  it('answers models.catalog', async () => {
    const reply = await new Workbench().dispatch('models.catalog', undefined);
    expect(reply.ok && reply.value.models.map((m) => m.depth)).toEqual([18, 34, 50, 101, 152]);
  });
});

describe('Workbench events', () => {
  it('announces the engine once, and stops telling a listener that unsubscribed', async () => {
    const workbench = new Workbench({ startEngine: async () => fakeEngine });
    const seen: WorkbenchEvent[] = [];
    const late: WorkbenchEvent[] = [];
    const unsubscribe = workbench.onEvent((event) => seen.push(event));
    await workbench.dispatch('engine.info', undefined);
    await workbench.dispatch('engine.info', undefined);
    expect(seen).toEqual([{ event: 'engine.ready', payload: fakeEngine }]);
    unsubscribe();
    workbench.onEvent((event) => late.push(event));
    await workbench.dispatch('engine.info', undefined);
    expect(late).toEqual([]);
    expect(seen).toHaveLength(1);
  });
});
