import { describe, expect, it, vi } from 'vitest';
import { Workbench, type WorkbenchEvent } from '../../../src-main/node/service/workbench';
import { validateResult, type EngineInfo, type WeightsEntry } from '../../../src-main/common/contract';
import { WorkbenchError } from '../../../src-main/common/errors';

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
    const notFound = new Workbench({ listWeights: async () => Promise.reject(new WorkbenchError('OFFLINE', 'no network')) });
    expect(await notFound.dispatch('weights.list', undefined)).toEqual({ ok: false, error: { code: 'OFFLINE', message: 'no network' } });

    const noBackend = new Workbench({ startEngine: async () => Promise.reject(new Error('No TensorFlow.js backend could be loaded')) });
    expect(await noBackend.dispatch('engine.info', undefined)).toEqual({
      ok: false,
      error: { code: 'BACKEND', message: 'No TensorFlow.js backend could be loaded' },
    });

    const bug = new Workbench({ listWeights: async () => Promise.reject(new TypeError('x is undefined')) });
    expect(await bug.dispatch('weights.list', undefined)).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'x is undefined' } });
  });

  it('refuses to send a result that breaks the contract', async () => {
    const workbench = new Workbench({ listWeights: async () => [{ depth: 19, variant: 'V1', present: true }] as unknown as WeightsEntry[] });
    const reply = await workbench.dispatch('weights.list', undefined);
    expect(reply).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    if (!reply.ok) expect(reply.error.message).toContain("result of 'weights.list'");
  });

  it('lists weights through the store it is given', async () => {
    const weights: WeightsEntry[] = [{ depth: 18, variant: 'IMAGENET1K_V1', present: true, path: '/data/weights/resnet18.pth' }];
    expect(await new Workbench({ listWeights: async () => weights }).dispatch('weights.list', undefined)).toEqual({
      ok: true,
      value: { weights },
    });
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
