import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { registerContractHandlers, sendEvent, type InvokeRegistry } from '../../src-main/electron-main/ipc';
import type { InvokeEventLike, TrustedSenders } from '../../src-main/electron-main/security';
import { CALL_NAMES, callChannel, type EngineInfo } from '../../src-main/common/contract';
import { Workbench } from '../../src-main/node/service/workbench';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const registry: InvokeRegistry = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  return { registry, handlers };
}

const appUrl = pathToFileURL('/app/out/renderer/index.html').href;
const trusted: TrustedSenders = { webContentsIds: new Set([1]), entry: { kind: 'file', url: appUrl } };
const mainFrame = { url: appUrl, parent: null };
const ourWindow: InvokeEventLike = { sender: { id: 1 }, senderFrame: mainFrame };
const engine: EngineInfo = { backend: 'cpu', tfjsBackend: 'cpu', versions: {}, convGradients: true, skipped: [] };

describe('registerContractHandlers', () => {
  it('registers every call of the contract, and removes them all again', () => {
    const { registry, handlers } = fakeIpcMain();
    const unregister = registerContractHandlers(registry, new Workbench(), () => trusted);
    expect([...handlers.keys()].sort()).toEqual(CALL_NAMES.map(callChannel).sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('passes a trusted call to the service and returns its envelope', async () => {
    const { registry, handlers } = fakeIpcMain();
    registerContractHandlers(registry, new Workbench({ startEngine: async () => engine }), () => trusted);
    await expect(handlers.get(callChannel('engine.info'))!(ourWindow, undefined)).resolves.toEqual({ ok: true, value: engine });
  });

  it('answers bad parameters with BAD_INPUT before the engine runs', async () => {
    const { registry, handlers } = fakeIpcMain();
    const startEngine = vi.fn(async () => engine);
    registerContractHandlers(registry, new Workbench({ startEngine }), () => trusted);
    await expect(handlers.get(callChannel('engine.info'))!(ourWindow, { evil: true })).resolves.toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    expect(startEngine).not.toHaveBeenCalled();
  });

  it('refuses an iframe, another window and a foreign page without calling the service', async () => {
    const { registry, handlers } = fakeIpcMain();
    const dispatch = vi.fn();
    const log = vi.fn();
    registerContractHandlers(registry, { dispatch }, () => trusted, log);
    const handler = handlers.get(callChannel('engine.info'))!;
    const iframe = { url: appUrl, parent: mainFrame };
    const foreign = { url: 'https://example.com/', parent: null };
    for (const event of [
      { sender: { id: 1 }, senderFrame: iframe },
      { sender: { id: 2 }, senderFrame: mainFrame },
      { sender: { id: 1 }, senderFrame: foreign },
      { sender: { id: 1 }, senderFrame: null },
    ]) {
      await expect(handler(event, undefined)).rejects.toThrow(/refused/);
    }
    expect(dispatch).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(4);
  });
});

describe('a call whose window goes away', () => {
  for (const gone of ['destroyed', 'render-process-gone', 'did-navigate']) {
    it(`is told when the window is ${gone === 'destroyed' ? 'closed' : gone === 'did-navigate' ? 'reloaded' : 'crashed'} (${gone}), and leaves no listener behind`, async () => {
      const { registry, handlers } = fakeIpcMain();
      const window = Object.assign(new EventEmitter(), { id: 1 });
      let seen: AbortSignal | undefined;
      let finish!: () => void;
      const dispatch = vi.fn((_call: string, _params: unknown, context?: { signal?: AbortSignal }) => {
        seen = context?.signal;
        return new Promise<{ ok: true; value: null }>((resolve) => (finish = () => resolve({ ok: true, value: null })));
      });
      registerContractHandlers(registry, { dispatch }, () => trusted);
      const call = handlers.get(callChannel('models.classify'))!({ sender: window, senderFrame: mainFrame }, {});
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen?.aborted).toBe(false);
      window.emit(gone);
      expect(seen?.aborted).toBe(true);
      finish();
      await call;
      expect(window.eventNames()).toEqual([]);
    });
  }

  it('leaves no listener behind when it ends normally', async () => {
    const { registry, handlers } = fakeIpcMain();
    const window = Object.assign(new EventEmitter(), { id: 1 });
    registerContractHandlers(registry, new Workbench({ startEngine: async () => engine }), () => trusted);
    await handlers.get(callChannel('engine.info'))!({ sender: window, senderFrame: mainFrame }, undefined);
    expect(window.eventNames()).toEqual([]);
  });
});

describe('sendEvent', () => {
  it('sends the payload alone on the event’s channel', () => {
    const send = vi.fn();
    sendEvent(send, { event: 'engine.ready', payload: engine });
    expect(send).toHaveBeenCalledWith('workbench:event:engine.ready', engine);
  });
});
