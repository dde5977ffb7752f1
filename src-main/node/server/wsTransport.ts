/**
 * The contract over WebSocket connections (message format: common/wsProtocol.ts). Every message is
 * parsed and checked before anything runs: broken JSON or a wrong shape gets an error reply and the
 * connection stays usable; a message over the size limit closes that one socket (ws answers 1009).
 * Calls go to the service's `dispatch`; events go to every connected tab, so several tabs watch the
 * same runs. A new connection is sent `engine.ready` at once, so a reconnecting page resyncs.
 */
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { EventName, Reply, Unsubscribe } from '../../common/contract';
import type { ErrorData } from '../../common/errors';
import { WS_CLOSE, callIdSchema, clientMessageSchema } from '../../common/wsProtocol';

/** What the transport needs of the Workbench service. */
export interface TransportService {
  /** `context.signal` is aborted when the socket closes, so its model jobs end with it. */
  dispatch(call: string, rawParams: unknown, context?: { signal?: AbortSignal }): Promise<Reply<unknown>>;
  onEvent(listener: (event: { event: EventName; payload: unknown }) => void): Unsubscribe;
}

export interface WorkbenchTransport {
  /** Connected sockets. */
  readonly clientCount: number;
  /** Closes every socket (1001, going away) and stops forwarding events. */
  close(): void;
}

/**
 * A tab that stops reading (frozen, on a dead network) would make the server buffer events without
 * end; past this much unsent data it is dropped and reconnects when it can.
 */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

const EXPECTED_SHAPE = 'expected {"id": <whole number>, "call": "group.method", "params": {...}}';

type Parsed = { ok: true; id: number; call: string; params: unknown } | { ok: false; id: number | null; error: ErrorData };

/** One incoming message, checked. */
export function parseClientMessage(data: RawData, isBinary: boolean): Parsed {
  if (isBinary) return { ok: false, id: null, error: { code: 'BAD_INPUT', message: 'Messages must be JSON text, not binary.' } };
  let raw: unknown;
  try {
    raw = JSON.parse(textOf(data));
  } catch {
    return { ok: false, id: null, error: { code: 'BAD_INPUT', message: 'The message is not valid JSON.' } };
  }
  const message = clientMessageSchema.safeParse(raw);
  if (message.success) return { ok: true, id: message.data.id, call: message.data.call, params: message.data.params };
  const id = typeof raw === 'object' && raw !== null ? callIdSchema.safeParse((raw as { id?: unknown }).id) : undefined;
  return { ok: false, id: id?.success ? id.data : null, error: { code: 'BAD_INPUT', message: `The message does not have the call shape: ${EXPECTED_SHAPE}.` } };
}

function send(socket: WebSocket, text: string): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  socket.send(text);
}

export function attachWorkbenchTransport(server: WebSocketServer, service: TransportService): WorkbenchTransport {
  const sockets = new Set<WebSocket>();
  /** Sockets that have had an engine.ready (from the service itself, or the one sent on connecting). */
  const readySent = new WeakSet<WebSocket>();

  const stopEvents = service.onEvent(({ event, payload }) => {
    const text = JSON.stringify({ event, payload });
    for (const socket of sockets) {
      if (event === 'engine.ready') readySent.add(socket);
      send(socket, text);
    }
  });

  const reply = (socket: WebSocket, id: number | null, value: Reply<unknown>): void => {
    send(socket, JSON.stringify({ id, reply: value }));
  };

  const announceEngine = async (socket: WebSocket): Promise<void> => {
    const info = await service.dispatch('engine.info', undefined);
    // A failed start is not announced: the page asks engine.info itself and shows the error.
    if (info.ok && !readySent.has(socket)) {
      readySent.add(socket);
      send(socket, JSON.stringify({ event: 'engine.ready', payload: info.value }));
    }
  };

  server.on('connection', (socket) => {
    sockets.add(socket);
    // A closed tab's model jobs are ended (or dropped from the queue) rather than run for nobody.
    const gone = new AbortController();
    // ws reports protocol errors (an oversized message among them) here, then closes the socket.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      gone.abort();
    });
    socket.on('message', (data, isBinary) => {
      const message = parseClientMessage(data, isBinary);
      if (!message.ok) {
        reply(socket, message.id, { ok: false, error: message.error });
        return;
      }
      // dispatch never rejects; the catch guards against a bug turning into an unhandled rejection.
      service.dispatch(message.call, message.params, { signal: gone.signal }).then(
        (value) => reply(socket, message.id, value),
        (error: unknown) => reply(socket, message.id, { ok: false, error: { code: 'INTERNAL', message: String(error) } }),
      );
    });
    void announceEngine(socket).catch(() => undefined);
  });

  return {
    get clientCount() {
      return sockets.size;
    },
    close() {
      stopEvents();
      for (const socket of sockets) socket.close(WS_CLOSE.goingAway, 'The server is shutting down.');
    },
  };
}
