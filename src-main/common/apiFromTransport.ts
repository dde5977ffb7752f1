/**
 * The one builder of a `WorkbenchApi` from a transport: one method per contract call
 * (`api.engine.info(params)`) and `on(event, listener)`. Electron IPC (the preload) and the WebSocket
 * client differ only in the two functions they hand in here.
 */
import {
  CALL_NAMES,
  isEventName,
  splitCallName,
  type CallName,
  type EventName,
  type EventPayload,
  type Unsubscribe,
  type WorkbenchApi,
} from './contract';

export interface ApiTransport {
  /** Sends a call; resolves to its `Reply` envelope (the transport's job to produce one). */
  invoke(call: CallName, params: unknown): Promise<unknown>;
  /** Delivers an event's payloads to `listener` until the returned function is called. */
  subscribe(event: EventName, listener: (payload: unknown) => void): Unsubscribe;
}

export function apiFromTransport(transport: ApiTransport): WorkbenchApi {
  const groups: Record<string, Record<string, (params?: unknown) => Promise<unknown>>> = {};
  for (const call of CALL_NAMES) {
    const { group, method } = splitCallName(call);
    (groups[group] ??= {})[method] = (params?: unknown) => transport.invoke(call, params);
  }
  function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    if (!isEventName(event)) throw new TypeError(`Unknown event '${String(event)}'.`);
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
    // Only the payload reaches the listener, never a transport's own event object.
    return transport.subscribe(event, (payload) => listener(payload as EventPayload<E>));
  }
  // The shape is the contract's by construction: one entry per call name, grouped by its prefix.
  return { ...groups, on } as unknown as WorkbenchApi;
}
