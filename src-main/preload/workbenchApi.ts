/**
 * Builds `window.workbench` from the contract: one method per call (`workbench.engine.info()`) and
 * `on(event, listener)`. Only these functions cross the context bridge — never `ipcRenderer` itself,
 * nor Electron's event object (its `sender` is ipcRenderer).
 */
import {
  CALL_NAMES,
  callChannel,
  eventChannel,
  isEventName,
  splitCallName,
  type EventName,
  type EventPayload,
  type Unsubscribe,
  type WorkbenchApi,
} from '../common/contract';

/** What the API needs of `ipcRenderer` (narrowed so it can be faked in tests). */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function buildWorkbenchApi(ipc: RendererIpc): WorkbenchApi {
  const groups: Record<string, Record<string, (params?: unknown) => Promise<unknown>>> = {};
  for (const call of CALL_NAMES) {
    const { group, method } = splitCallName(call);
    const channel = callChannel(call);
    (groups[group] ??= {})[method] = (params?: unknown) => ipc.invoke(channel, params);
  }
  function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    if (!isEventName(event)) throw new TypeError(`Unknown event '${String(event)}'.`);
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
    const channel = eventChannel(event);
    const forward = (_event: unknown, payload: unknown) => listener(payload as EventPayload<E>);
    ipc.on(channel, forward);
    return () => {
      ipc.removeListener(channel, forward);
    };
  }
  // The shape is the contract's by construction: one entry per call name, grouped by its prefix.
  return { ...groups, on } as unknown as WorkbenchApi;
}
