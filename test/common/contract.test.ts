import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CALLS,
  CALL_NAMES,
  EVENT_NAMES,
  callChannel,
  eventChannel,
  isCallName,
  isEventName,
  parseReply,
  splitCallName,
  validateEventPayload,
  validateParams,
  validateResult,
  EVENTS,
  type EngineInfo,
  type EventName,
  type EventPayload,
  type ModelInfo,
  type Reply,
  type WorkbenchApi,
} from '../../src-main/common/contract';
import { runConfigSchema } from '../../src-main/common/runConfig';
import { RUN_EVENT_SCHEMAS, type RunEventPayload } from '../../src-main/common/runEvents';

const engineInfo: EngineInfo = {
  backend: 'wasm',
  tfjsBackend: 'wasm',
  versions: { node: '20.19.5', tfjs: '4.22.0' },
  convGradients: false,
  skipped: [{ backend: 'tensorflow', reason: 'not installed' }],
};

const resnet18: ModelInfo = {
  depth: 18,
  block: 'basic',
  layers: [2, 2, 2, 2],
  featureChannels: 512,
  parameters: 11_689_512,
  backboneParameters: 11_176_512,
  gflops: 1.81,
};

describe('call and event names', () => {
  it('are group.method with exactly one dot, so each maps to workbench.group.method', () => {
    for (const name of [...CALL_NAMES, ...EVENT_NAMES]) expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
    expect(splitCallName('engine.info')).toEqual({ group: 'engine', method: 'info' });
  });

  it('give distinct, namespaced IPC channels', () => {
    const channels = [...CALL_NAMES.map(callChannel), ...EVENT_NAMES.map(eventChannel)];
    expect(new Set(channels).size).toBe(channels.length);
    for (const channel of channels) expect(channel).toMatch(/^workbench:(call|event):/);
  });

  it('are recognised only when they are in the maps', () => {
    expect(isCallName('engine.info')).toBe(true);
    expect(isCallName('engine.nope')).toBe(false);
    expect(isCallName('toString')).toBe(false);
    expect(isCallName(42)).toBe(false);
    expect(isEventName('engine.ready')).toBe(true);
    expect(isEventName('__proto__')).toBe(false);
  });

  it('every entry documents itself', () => {
    for (const name of CALL_NAMES) expect(CALLS[name].description.length).toBeGreaterThan(10);
  });
});

describe('parameters', () => {
  it('a call without parameters accepts nothing or an empty object', () => {
    expect(validateParams('engine.info', undefined)).toEqual({ ok: true, value: undefined });
    expect(validateParams('engine.info', {})).toEqual({ ok: true, value: {} });
  });

  it('unexpected parameters are the caller’s error, named in the message without the call’s or the contract’s name', () => {
    const result = validateParams('models.catalog', { depth: 18 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('BAD_INPUT');
    expect(result.error.message).toMatch(/^Not accepted: /);
    expect(result.error.message).toContain('depth');
    expect(result.error.message).not.toMatch(/contract|models\.catalog/);
    expect(validateParams('engine.info', 'all').ok).toBe(false);
  });
});

describe('results', () => {
  it('accepts what the engine reports', () => {
    expect(validateResult('engine.info', engineInfo)).toEqual({ ok: true, value: engineInfo });
    expect(validateResult('models.catalog', { models: [resnet18] }).ok).toBe(true);
  });

  it('rejects a wrong backend, a missing field or an extra one, naming the path', () => {
    const wrongBackend = validateResult('engine.info', { ...engineInfo, backend: 'gpu' });
    expect(wrongBackend.ok).toBe(false);
    if (!wrongBackend.ok) {
      expect(wrongBackend.error.code).toBe('INTERNAL');
      expect(wrongBackend.error.message).toContain('backend');
    }
    const { convGradients: _dropped, ...missing } = engineInfo;
    expect(validateResult('engine.info', missing).ok).toBe(false);
    expect(validateResult('engine.info', { ...engineInfo, secret: 1 }).ok).toBe(false);
    expect(validateResult('engine.info', { ...engineInfo, skipped: [{ backend: 'cpu' }] }).ok).toBe(false);
  });

  it('knows the ResNet depths', () => {
    expect(validateResult('models.catalog', { models: [{ ...resnet18, depth: 20 }] }).ok).toBe(false);
    expect(validateResult('models.catalog', { models: [{ ...resnet18, layers: [2, 2, 2] }] }).ok).toBe(false);
  });

  it('weights entries need every fact and presence; an imported entry needs its hash', () => {
    const entry = {
      depth: 50,
      variant: 'IMAGENET1K_V2',
      torchvisionName: 'ResNet50_Weights.IMAGENET1K_V2',
      fileName: 'resnet50-11ad3fa6.pth',
      url: 'https://download.pytorch.org/models/resnet50-11ad3fa6.pth',
      sha256Prefix: '11ad3fa6',
      top1: 80.858,
      top5: 95.434,
      parameters: 25_557_032,
      gflops: 4.09,
      resizeSize: 232,
      cropSize: 224,
      isDefault: false,
      isTorchvisionDefault: true,
      present: false,
      bundled: false,
      path: '/data/weights/resnet50-11ad3fa6.pth',
    };
    expect(validateResult('weights.list', { pretrained: [entry], imported: [] })).toEqual({ ok: true, value: { pretrained: [entry], imported: [] } });
    const { present: _present, ...withoutPresence } = entry;
    expect(validateResult('weights.list', { pretrained: [withoutPresence], imported: [] }).ok).toBe(false);
    expect(validateResult('weights.list', { pretrained: [{ ...entry, variant: 'IMAGENET1K_V3' }], imported: [] }).ok).toBe(false);
    const imported = { path: '/w/x.pth', fileName: 'x.pth', source: '/x.pth', depth: 18, numClasses: 10, bytes: 1, importedAt: '2026-11-27T10:00:00Z' };
    expect(validateResult('weights.list', { pretrained: [], imported: [imported] }).ok).toBe(false);
    expect(validateResult('weights.list', { pretrained: [], imported: [{ ...imported, sha256: 'ab'.repeat(32) }] }).ok).toBe(true);
  });

  it('event payloads are checked too', () => {
    expect(validateEventPayload('engine.ready', engineInfo).ok).toBe(true);
    expect(validateEventPayload('engine.ready', { backend: 'cpu' }).ok).toBe(false);
  });
});

describe('the reply envelope', () => {
  it('passes a good success and a good failure through', () => {
    expect(parseReply('engine.info', { ok: true, value: engineInfo })).toEqual({ ok: true, value: engineInfo });
    const failure = { ok: false, error: { code: 'NOT_FOUND', message: 'no such run' } };
    expect(parseReply('engine.info', failure)).toEqual(failure);
  });

  it('turns a malformed envelope, an unknown error code or a bad value into INTERNAL', () => {
    for (const raw of [
      null,
      { ok: 'yes', value: engineInfo },
      { ok: false, error: { code: 'OOPS', message: 'x' } },
      { ok: true, value: { ...engineInfo, backend: 'gpu' } },
    ]) {
      const reply = parseReply('engine.info', raw);
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('INTERNAL');
    }
  });
});

describe('derived types', () => {
  it('WorkbenchApi has one method per call and a typed event subscription', () => {
    expectTypeOf<WorkbenchApi['engine']['info']>().returns.toEqualTypeOf<Promise<Reply<EngineInfo>>>();
    expectTypeOf<WorkbenchApi['models']['catalog']>().returns.toEqualTypeOf<Promise<Reply<{ models: ModelInfo[] }>>>();
    expectTypeOf<WorkbenchApi['engine']['info']>().parameters.toEqualTypeOf<[params?: Record<string, never> | undefined]>();
    expectTypeOf<Parameters<WorkbenchApi['on']>[0]>().toEqualTypeOf<EventName>();
    expectTypeOf<WorkbenchApi['runs']['start']>().returns.toEqualTypeOf<Promise<Reply<{ runId: string; folder: string }>>>();
    expectTypeOf<EventPayload<'run.epoch'>>().toEqualTypeOf<RunEventPayload<'run.epoch'>>();
    expectTypeOf<WorkbenchApi['on']>().returns.toEqualTypeOf<() => void>();
  });
});

describe('the engine calls', () => {
  const config = { trainDir: '/data/train', weights: 'none', imageSize: 32, epochs: 2 };

  it('every run event of the trainer is a contract event with the very same schema', () => {
    for (const [name, schema] of Object.entries(RUN_EVENT_SCHEMAS)) {
      expect(isEventName(name)).toBe(true);
      expect(EVENTS[name as keyof typeof RUN_EVENT_SCHEMAS].payload).toBe(schema);
    }
    expect(isEventName('weights.progress')).toBe(true);
  });

  it('dataset.scan takes absolute folders only', () => {
    expect(validateParams('dataset.scan', { train: '/data/train' }).ok).toBe(true);
    expect(validateParams('dataset.scan', { train: '/data/train', test: 'C:\\data\\test' }).ok).toBe(true);
    const relative = validateParams('dataset.scan', { train: 'data/train' });
    expect(relative).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    if (!relative.ok) expect(relative.error.message).toContain('train: expected an absolute path');
    expect(validateParams('dataset.scan', {}).ok).toBe(false);
    expect(validateParams('dataset.scan', { train: '/a', extra: 1 }).ok).toBe(false);
  });

  it('runs.start fills the run config’s defaults and refuses a bad one', () => {
    const parsed = validateParams('runs.start', { config });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.config).toMatchObject({ depth: 18, mode: 'linear', lr: 1e-3, epochs: 2, imageSize: 32 });
    const bad = validateParams('runs.start', { config: { ...config, depth: 20 } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    if (!bad.ok) expect(bad.error.message).toContain('config.depth');
  });

  it('run ids cannot climb out of the runs folder', () => {
    expect(validateParams('runs.get', { runId: '20261127-110000-resnet18-a1b2c3' }).ok).toBe(true);
    for (const runId of ['../x', '..', 'a/b', '.hidden', '', 'a\\b']) expect(validateParams('runs.get', { runId }).ok).toBe(false);
  });

  it('models.predict defaults topK to 5 and needs at least one absolute file', () => {
    const parsed = validateParams('models.predict', { model: 'run-1', files: ['/img/a.png'] });
    expect(parsed.ok && parsed.value.topK).toBe(5);
    expect(validateParams('models.predict', { model: 'run-1', files: [] }).ok).toBe(false);
    expect(validateParams('models.predict', { model: 'run-1', files: ['a.png'] }).ok).toBe(false);
  });

  it('models.export knows the exporter’s formats only', () => {
    expect(validateParams('models.export', { runId: 'r', format: 'onnx', out: '/out/m.onnx' }).ok).toBe(true);
    expect(validateParams('models.export', { runId: 'r', format: 'h5', out: '/out/m.h5' }).ok).toBe(false);
  });

  it('runs.get carries recorded events shaped like live ones, checked against the trainer’s schemas', () => {
    const reply = {
      runId: 'r',
      folder: '/runs/r',
      config: runConfigSchema.parse(config),
      facts: null,
      status: 'running',
      events: [{ event: 'run.progress', payload: { runId: 'r', phase: 'scanning', done: 1, total: 2, etaSeconds: null } }],
      report: null,
      label: { name: null, note: null },
    };
    expect(validateResult('runs.get', reply).ok).toBe(true);
    const wrongPayload = { ...reply, events: [{ event: 'run.progress', payload: { runId: 'r', phase: 'dreaming', done: 1, total: 2, etaSeconds: null } }] };
    expect(validateResult('runs.get', wrongPayload)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(validateResult('runs.get', { ...reply, status: 'paused' }).ok).toBe(false);
  });

  it('weights.progress and run events validate as payloads', () => {
    expect(validateEventPayload('weights.progress', { depth: 18, variant: 'IMAGENET1K_V1', bytes: 10, total: null, bytesPerSecond: 5 }).ok).toBe(true);
    expect(validateEventPayload('run.batch', { runId: 'r', epoch: 1, batch: 1, batches: 2, loss: 1, accuracy: 0.5, lr: 0.001 }).ok).toBe(true);
    expect(validateEventPayload('run.batch', { runId: 'r', epoch: 0, batch: 1, batches: 2, loss: 1, accuracy: 0.5, lr: 0.001 }).ok).toBe(false);
  });
});
