import { describe, expect, it, vi } from 'vitest';
import { buildWorkbenchApi, type RendererIpc } from '../../src-main/preload/workbenchApi';
import { CALL_NAMES, splitCallName, type EngineInfo } from '../../src-main/common/contract';

type Listener = (event: unknown, ...args: unknown[]) => void;

function fakeIpcRenderer() {
  const listeners = new Map<string, Set<Listener>>();
  const ipc = {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => ({ ok: true, value: { channel, args } })),
    on: (channel: string, listener: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    },
    removeListener: (channel: string, listener: Listener) => listeners.get(channel)?.delete(listener),
  } satisfies RendererIpc;
  const emit = (channel: string, payload: unknown) => {
    const electronEvent = { sender: ipc, senderId: 0 };
    for (const listener of listeners.get(channel) ?? []) listener(electronEvent, payload);
  };
  return { ipc, listeners, emit };
}

const engine: EngineInfo = { backend: 'wasm', tfjsBackend: 'wasm', versions: {}, convGradients: false, skipped: [] };

describe('buildWorkbenchApi', () => {
  it('has one method per contract call, each invoking the call’s channel with the params', async () => {
    const { ipc } = fakeIpcRenderer();
    const api = buildWorkbenchApi(ipc) as unknown as Record<string, Record<string, (p?: unknown) => Promise<unknown>>>;
    for (const call of CALL_NAMES) {
      const { group, method } = splitCallName(call);
      expect(typeof api[group]?.[method], call).toBe('function');
    }
    await expect(api.models!.catalog!({})).resolves.toEqual({ ok: true, value: { channel: 'workbench:call:models.catalog', args: [{}] } });
    const typed = buildWorkbenchApi(ipc);
    await typed.engine.info();
    expect(ipc.invoke).toHaveBeenLastCalledWith('workbench:call:engine.info', undefined);
  });

  it('exposes the call groups and on(), nothing of ipcRenderer', () => {
    const { ipc } = fakeIpcRenderer();
    const api = buildWorkbenchApi(ipc);
    const groups = new Set(CALL_NAMES.map((c) => splitCallName(c).group));
    expect(Object.keys(api).sort()).toEqual([...groups, 'on'].sort());
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/invoke|send|ipc/);
  });

  it('on() hands the listener the payload only, and its unsubscribe stops it', () => {
    const { ipc, emit, listeners } = fakeIpcRenderer();
    const api = buildWorkbenchApi(ipc);
    const seen: unknown[][] = [];
    const unsubscribe = api.on('engine.ready', (...args) => seen.push(args));
    emit('workbench:event:engine.ready', engine);
    expect(seen).toEqual([[engine]]);
    unsubscribe();
    emit('workbench:event:engine.ready', engine);
    expect(seen).toHaveLength(1);
    expect(listeners.get('workbench:event:engine.ready')?.size).toBe(0);
  });

  it('on() refuses events outside the contract and listeners that are not functions', () => {
    const { ipc } = fakeIpcRenderer();
    const api = buildWorkbenchApi(ipc);
    expect(() => api.on('ipc.anything' as 'engine.ready', () => {})).toThrow(/Unknown event/);
    expect(() => api.on('engine.ready', 'alert(1)' as unknown as () => void)).toThrow(/function/);
  });
});
