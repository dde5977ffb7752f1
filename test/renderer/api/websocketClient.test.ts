// @vitest-environment node
/**
 * The renderer's WebSocket client against a real WebSocket server in the test (speaking the browser
 * mode's message format): calls and replies, events, losing and regaining the connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { EngineInfo } from '../../../src-main/common/contract';
import { createWebSocketClient, type ConnectionState, type WebSocketClient, type WebSocketConstructor } from '../../../src-renderer/src/api/websocketClient';

const engine: EngineInfo = { backend: 'wasm', tfjsBackend: 'wasm', versions: { tfjs: '4.22.0' }, convGradients: false, skipped: [] };

type Incoming = { id: number; call: string; params?: unknown };

interface FakeServer {
  wss: WebSocketServer;
  port: number;
  received: Incoming[];
  broadcast(message: unknown): void;
  close(): Promise<void>;
}

/** Answers like the real server: engine.ready on connect; engine.info, runs.list; models.catalog wrongly; runs.get never. */
async function fakeServer(port = 0): Promise<FakeServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const received: Incoming[] = [];
  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ event: 'engine.ready', payload: engine }));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as Incoming;
      received.push(message);
      const answer = (reply: unknown): void => ws.send(JSON.stringify({ id: message.id, reply }));
      if (message.call === 'engine.info') answer({ ok: true, value: engine });
      else if (message.call === 'runs.list') answer({ ok: true, value: { runs: [] } });
      else if (message.call === 'models.catalog') answer({ ok: true, value: { models: 'not a list' } });
      else if (message.call === 'dataset.scan') answer({ ok: false, error: { code: 'BAD_INPUT', message: 'outside the data roots' } });
    });
  });
  const address = wss.address();
  return {
    wss,
    port: typeof address === 'object' && address !== null ? address.port : port,
    received,
    broadcast(message) {
      for (const client of wss.clients) client.send(JSON.stringify(message));
    },
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

const servers: FakeServer[] = [];
const clients: WebSocketClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(options: { connectWaitMs?: number } = {}): Promise<{ server: FakeServer; client: WebSocketClient; states: ConnectionState[] }> {
  const server = await fakeServer();
  servers.push(server);
  const client = createWebSocketClient({
    url: `ws://127.0.0.1:${server.port}/ws`,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnectDelayMs: 20,
    maxReconnectDelayMs: 100,
    ...options,
  });
  clients.push(client);
  const states: ConnectionState[] = [client.connection];
  client.onConnectionChange((state) => states.push(state));
  return { server, client, states };
}

function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 10);
    };
    check();
  });
}

describe('createWebSocketClient', () => {
  it('sends { id, call, params } and resolves the matching reply, checked against the contract', async () => {
    const { server, client } = await setup();
    const [info, runs] = await Promise.all([client.api.engine.info(), client.api.runs.list({})]);
    expect(info).toEqual({ ok: true, value: engine });
    expect(runs).toEqual({ ok: true, value: { runs: [] } });
    expect(server.received).toEqual(expect.arrayContaining([{ id: expect.any(Number), call: 'engine.info' }, { id: expect.any(Number), call: 'runs.list', params: {} }]));
    expect(new Set(server.received.map((m) => m.id)).size).toBe(2);

    expect(await client.api.dataset.scan({ train: '/elsewhere' })).toEqual({ ok: false, error: { code: 'BAD_INPUT', message: 'outside the data roots' } });
    const wrong = await client.api.models.catalog();
    expect(wrong).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: expect.stringContaining("The result of 'models.catalog' does not match") } });
  });

  it('delivers events to their listeners, validated, until unsubscribed', async () => {
    const { server, client } = await setup();
    const progress: unknown[] = [];
    const unsubscribe = client.api.on('weights.progress', (payload) => progress.push(payload));
    await until('the connection', () => client.connection === 'open');
    const good = { depth: 18, variant: 'IMAGENET1K_V1', bytes: 10, total: 100, bytesPerSecond: 5 };
    server.broadcast({ event: 'weights.progress', payload: { ...good, bytes: -1 } });
    server.broadcast({ event: 'no.such-event', payload: {} });
    server.broadcast('not an object');
    server.broadcast({ event: 'weights.progress', payload: good });
    await until('the event', () => progress.length > 0);
    expect(progress).toEqual([good]);
    unsubscribe();
    server.broadcast({ event: 'weights.progress', payload: good });
    await client.api.engine.info();
    expect(progress).toHaveLength(1);
    expect(() => client.api.on('nope' as 'engine.ready', () => {})).toThrow(/Unknown event/);
  });

  it('reconnects after the connection is lost, gets engine.ready again, and fails the call that was cut off', async () => {
    const { server, client, states } = await setup();
    let ready = 0;
    client.api.on('engine.ready', () => (ready += 1));
    await until('engine.ready', () => ready === 1);
    expect(states).toEqual(['connecting', 'open']);

    const cutOff = client.api.runs.get({ runId: 'run-1' });
    await until('the call to arrive', () => server.received.some((m) => m.call === 'runs.get'));
    for (const socket of server.wss.clients) socket.terminate();
    expect(await cutOff).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE', message: expect.stringContaining('lost') } });

    await until('the second engine.ready', () => ready === 2);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
    expect(await client.api.engine.info()).toEqual({ ok: true, value: engine });
  });

  it('holds calls made while the server is away and sends them when it is back', async () => {
    const { server, client } = await setup();
    await until('the connection', () => client.connection === 'open');
    const port = server.port;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await until('reconnecting', () => client.connection === 'reconnecting');

    const waiting = client.api.engine.info();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const back = await fakeServer(port);
    servers.push(back);
    expect(await waiting).toEqual({ ok: true, value: engine });
    expect(back.received.map((m) => m.call)).toEqual(['engine.info']);
  });

  it('answers NOT_AVAILABLE when the server stays away', async () => {
    const { server, client } = await setup({ connectWaitMs: 300 });
    await until('the connection', () => client.connection === 'open');
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await until('reconnecting', () => client.connection === 'reconnecting');
    const started = Date.now();
    const reply = await client.api.engine.info();
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE', message: expect.stringContaining('could not be reached') } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(client.connection).toBe('reconnecting');
  });

  it('refuses parameters over the message size limit without sending them', async () => {
    const { server, client } = await setup();
    const huge = await client.api.models.classify({ model: 'run-1', images: [{ name: 'a.png', data: 'A'.repeat(34 * 1024 * 1024) }] });
    expect(huge).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('32 MiB') } });
    expect(server.received.some((m) => m.call === 'models.classify')).toBe(false);
    expect(await client.api.engine.info()).toEqual({ ok: true, value: engine });
  });

  it('close() ends the connection for good: waiting calls answer NOT_AVAILABLE, later ones too', async () => {
    const { server, client, states } = await setup();
    const hanging = client.api.runs.get({ runId: 'run-1' });
    await until('the call to arrive', () => server.received.some((m) => m.call === 'runs.get'));
    client.close();
    expect(await hanging).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE' } });
    expect(await client.api.engine.info()).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE', message: expect.stringContaining('closed') } });
    expect(states.at(-1)).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.wss.clients.size).toBe(0);
  });
});
