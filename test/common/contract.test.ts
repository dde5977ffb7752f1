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
  type EngineInfo,
  type ModelInfo,
  type Reply,
  type WorkbenchApi,
} from '../../src-main/common/contract';

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

  it('unexpected parameters are the caller’s error, named in the message', () => {
    const result = validateParams('models.catalog', { depth: 18 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('BAD_INPUT');
    expect(result.error.message).toContain("'models.catalog'");
    expect(result.error.message).toContain('depth');
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
    expectTypeOf<Parameters<WorkbenchApi['on']>[0]>().toEqualTypeOf<'engine.ready'>();
    expectTypeOf<WorkbenchApi['on']>().returns.toEqualTypeOf<() => void>();
  });
});
