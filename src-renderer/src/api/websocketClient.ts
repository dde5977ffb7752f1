/**
 * The `WorkbenchApi` over a WebSocket to the page's own server (browser mode; message format in
 * src-main/common/wsProtocol.ts). Replies and events are checked against the contract before anyone
 * sees them. The connection comes back by itself with growing pauses; a call made meanwhile waits
 * for it (or answers NOT_AVAILABLE after a while), and a call cut off by a lost connection answers
 * NOT_AVAILABLE at once. Every new connection starts with `engine.ready`, the page's cue to resync.
 */
import { apiFromTransport } from '../../../src-main/common/apiFromTransport';
import { parseReply, validateEventPayload, isEventName, type CallName, type EventName, type Reply, type Unsubscribe, type WorkbenchApi } from '../../../src-main/common/contract';
import type { ErrorData } from '../../../src-main/common/errors';
import { WS_MAX_PAYLOAD_BYTES, WS_PATH, serverMessageSchema } from '../../../src-main/common/wsProtocol';

/** 'connecting': the first attempt; 'reconnecting': after a lost connection; 'closed': `close()` was called. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The little of a WebSocket the client uses (the browser's, or `ws`'s in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketClientOptions {
  /** Default: `/ws` on the page's own origin (ws:, or wss: under https:). */
  url?: string;
  /** Default: `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** How long a call waits for a connection before answering NOT_AVAILABLE. Default 15 000 ms. */
  connectWaitMs?: number;
  /** The first pause before reconnecting; it doubles up to `maxReconnectDelayMs`. Default 250 ms. */
  reconnectDelayMs?: number;
  /** Default 5 000 ms. */
  maxReconnectDelayMs?: number;
}

export interface WebSocketClient {
  readonly api: WorkbenchApi;
  readonly connection: ConnectionState;
  /** Called with each new state; returns an unsubscribe. */
  onConnectionChange(listener: (state: ConnectionState) => void): Unsubscribe;
  /** Closes the connection for good: waiting calls answer NOT_AVAILABLE, no reconnects. */
  close(): void;
}

/** WebSocket.OPEN, the same in browsers and `ws`. */
const OPEN = 1;

interface PendingCall {
  call: CallName;
  resolve: (reply: Reply<unknown>) => void;
  /** The connection it was sent on; unset while it waits in the queue. */
  sentOn?: WebSocketLike;
}

interface QueuedCall {
  id: number;
  text: string;
  timer: ReturnType<typeof setTimeout>;
}

function notAvailable(message: string): Reply<never> {
  return { ok: false, error: { code: 'NOT_AVAILABLE', message } };
}

function defaultUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${WS_PATH}`;
}

/** UTF-8 size of a string, without encoding it when it is clearly small. */
function utf8Bytes(text: string): number {
  return text.length * 3 <= WS_MAX_PAYLOAD_BYTES ? text.length : new TextEncoder().encode(text).length;
}

export function createWebSocketClient(options: WebSocketClientOptions = {}): WebSocketClient {
  const Socket = options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor | undefined);
  const url = options.url ?? defaultUrl();
  const connectWaitMs = options.connectWaitMs ?? 15_000;
  const firstDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 5_000;

  let state: ConnectionState = 'connecting';
  let socket: WebSocketLike | undefined;
  let attempts = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let nextId = 1;
  /** Sent, waiting for their reply. */
  const pending = new Map<number, PendingCall>();
  /** Not sent yet: waiting for a connection. */
  const queue: QueuedCall[] = [];
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const eventListeners = new Map<EventName, Set<(payload: unknown) => void>>();

  const setState = (next: ConnectionState): void => {
    if (next === state) return;
    state = next;
    for (const listener of [...stateListeners]) listener(next);
  };

  const settle = (id: number, reply: Reply<unknown>): void => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    call.resolve(reply);
  };

  const deliverEvent = (event: string, payload: unknown): void => {
    if (!isEventName(event)) return;
    const checked = validateEventPayload(event, payload);
    // An event that does not match the contract is dropped rather than handed on half-formed.
    if (!checked.ok) return;
    for (const listener of [...(eventListeners.get(event) ?? [])]) listener(checked.value);
  };

  const onMessage = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return;
    }
    const message = serverMessageSchema.safeParse(raw);
    if (!message.success) return;
    if ('event' in message.data) {
      deliverEvent(message.data.event, message.data.payload);
      return;
    }
    const { id, reply } = message.data;
    if (id === null) return;
    const call = pending.get(id);
    if (call) settle(id, parseReply(call.call, reply));
  };

  const sendOn = (target: WebSocketLike, id: number, text: string): void => {
    const call = pending.get(id);
    if (call) call.sentOn = target;
    target.send(text);
  };

  const flushQueue = (): void => {
    while (queue.length > 0 && socket?.readyState === OPEN) {
      const queued = queue.shift() as QueuedCall;
      clearTimeout(queued.timer);
      sendOn(socket, queued.id, queued.text);
    }
  };

  const scheduleReconnect = (): void => {
    const delay = Math.min(maxDelay, firstDelay * 2 ** Math.min(attempts, 16));
    attempts += 1;
    reconnectTimer = setTimeout(connect, delay);
  };

  function connect(): void {
    reconnectTimer = undefined;
    if (state === 'closed') return;
    if (!Socket) {
      setState('reconnecting');
      return;
    }
    let current: WebSocketLike;
    try {
      current = new Socket(url);
    } catch {
      setState('reconnecting');
      scheduleReconnect();
      return;
    }
    socket = current;
    current.onopen = () => {
      attempts = 0;
      setState('open');
      flushQueue();
    };
    current.onmessage = (event) => onMessage(event.data);
    current.onerror = () => undefined;
    current.onclose = (event) => {
      if (socket !== current) return;
      socket = undefined;
      // Calls sent on it may or may not have run; their replies are gone with the connection.
      // Calls still queued wait for the next one.
      const tooBig = event.code === 1009;
      for (const [id, call] of [...pending]) {
        if (call.sentOn !== current) continue;
        settle(
          id,
          tooBig
            ? { ok: false, error: { code: 'BAD_INPUT', message: 'The engine closed the connection: a message was too large.' } }
            : notAvailable('The connection to the engine was lost before it answered; check the run list before trying again.'),
        );
      }
      if (state === 'closed') return;
      setState('reconnecting');
      scheduleReconnect();
    };
  }

  const invoke = (call: CallName, params: unknown): Promise<Reply<unknown>> =>
    new Promise((resolve) => {
      if (state === 'closed') {
        resolve(notAvailable('The connection to the engine is closed.'));
        return;
      }
      const id = nextId++;
      let text: string;
      try {
        text = JSON.stringify(params === undefined ? { id, call } : { id, call, params });
      } catch (error) {
        resolve({ ok: false, error: { code: 'BAD_INPUT', message: `The parameters of '${call}' cannot be sent: ${String(error)}` } });
        return;
      }
      if (utf8Bytes(text) > WS_MAX_PAYLOAD_BYTES) {
        const error: ErrorData = { code: 'BAD_INPUT', message: `The parameters of '${call}' are larger than the ${WS_MAX_PAYLOAD_BYTES / 1024 / 1024} MiB a message may hold.` };
        resolve({ ok: false, error });
        return;
      }
      pending.set(id, { call, resolve });
      if (socket?.readyState === OPEN && queue.length === 0) {
        sendOn(socket, id, text);
        return;
      }
      const timer = setTimeout(() => {
        const at = queue.findIndex((queued) => queued.id === id);
        if (at >= 0) queue.splice(at, 1);
        settle(id, notAvailable(`The engine could not be reached for ${Math.round(connectWaitMs / 1000)} s; is 'resnet-workbench serve' still running?`));
      }, connectWaitMs);
      queue.push({ id, text, timer });
    });

  const subscribe = (event: EventName, listener: (payload: unknown) => void): Unsubscribe => {
    let listeners = eventListeners.get(event);
    if (!listeners) eventListeners.set(event, (listeners = new Set()));
    // A wrapper, so the same function subscribed twice is two subscriptions, as with IPC.
    const wrapped = (payload: unknown): void => listener(payload);
    listeners.add(wrapped);
    return () => {
      listeners.delete(wrapped);
    };
  };

  connect();

  return {
    api: apiFromTransport({ invoke, subscribe }),
    get connection() {
      return state;
    },
    onConnectionChange(listener) {
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },
    close() {
      if (state === 'closed') return;
      setState('closed');
      clearTimeout(reconnectTimer);
      for (const queued of queue.splice(0)) clearTimeout(queued.timer);
      for (const id of [...pending.keys()]) settle(id, notAvailable('The connection to the engine is closed.'));
      const current = socket;
      socket = undefined;
      current?.close(1000, 'closed by the page');
    },
  };
}
