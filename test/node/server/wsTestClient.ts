/**
 * A WebSocket client for the server tests, speaking the browser mode's message format by hand (so
 * the tests see exactly what goes over the wire) with `ws` as the socket.
 */
import { request } from 'node:http';
import WebSocket from 'ws';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw GET (or other method) with full control of the Host header and the path as written. */
export function httpRequest(port: number, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export type Message = { id: number | null; reply: { ok: boolean; value?: unknown; error?: { code: string; message: string } } } | { event: string; payload: unknown };

export class TestSocket {
  readonly messages: Message[] = [];
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  /** The close code once the server closed the socket. */
  closeCode: number | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The first message (already received or still to come) that matches. */
  next<M extends Message>(match: (message: Message) => message is M, timeoutMs?: number): Promise<M>;
  next(match: (message: Message) => boolean, timeoutMs?: number): Promise<Message>;
  next(match: (message: Message) => boolean, timeoutMs = 30_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.find(match);
        if (!found) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 500)}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  event(name: string, match: (payload: unknown) => boolean = () => true, timeoutMs?: number): Promise<unknown> {
    return this.next((m) => 'event' in m && m.event === name && match(m.payload), timeoutMs).then((m) => ('event' in m ? m.payload : undefined));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Sends a call and resolves to its reply envelope. */
  async call(call: string, params?: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, call, ...(params === undefined ? {} : { params }) }));
    const message = await this.next((m) => 'id' in m && m.id === id);
    return 'reply' in message ? message.reply : { ok: false };
  }

  closed(timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the socket was not closed')), timeoutMs);
      const check = (): void => {
        if (this.closeCode === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.closeCode);
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.ws.close();
  }
}

export interface SocketOptions {
  cookie?: string;
  origin?: string;
  host?: string;
  path?: string;
}

/** Opens a socket; rejects with `refused <status>` when the server refuses the upgrade. */
export function openSocket(port: number, options: SocketOptions = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: options.host ?? `127.0.0.1:${port}` };
    if (options.cookie) headers.Cookie = options.cookie;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${options.path ?? '/ws'}`, { headers, ...(options.origin ? { origin: options.origin } : {}) });
    const socket = new TestSocket(ws);
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_request, response) => {
      reject(new Error(`refused ${response.statusCode}`));
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}
