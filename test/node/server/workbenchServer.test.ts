/**
 * Browser mode's server end to end over real sockets: a real Workbench (fake backend start, real
 * scans, a real short run) behind startWorkbenchServer on 127.0.0.1, a fake built renderer, and raw
 * HTTP and WebSocket clients that can send what a browser never would.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../../src-main/common/contract';
import { dataRootsPolicy, resolveDataRoots } from '../../../src-main/node/server/dataRoots';
import { startWorkbenchServer, type WorkbenchServer } from '../../../src-main/node/server/workbenchServer';
import { Workbench } from '../../../src-main/node/service/workbench';
import { writeColourSplit } from '../../support/colourDataset';
import { httpRequest, openSocket, type TestSocket } from './wsTestClient';
import { tokenCookieName } from '../../../src-main/node/server/serverSecurity';

const engine: EngineInfo = { backend: 'cpu', tfjsBackend: 'cpu', versions: { tfjs: '4.22.0' }, convGradients: true, skipped: [] };

let root: string;
let dataRoot: string;
let runsRoot: string;
let workbench: Workbench;
let server: WorkbenchServer;
let port: number;
let cookie: string;
let origin: string;
const sockets: TestSocket[] = [];

async function ourSocket(): Promise<TestSocket> {
  const socket = await openSocket(port, { cookie, origin });
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), 'rw-server-')));
  dataRoot = path.join(root, 'data');
  runsRoot = path.join(root, 'runs');
  await writeColourSplit(path.join(dataRoot, 'train'), 4, 1);
  await writeColourSplit(path.join(dataRoot, 'test'), 2, 2);
  await writeColourSplit(path.join(root, 'outside'), 2, 3);
  await symlink(path.join(root, 'outside'), path.join(dataRoot, 'escape'));

  const renderer = path.join(root, 'renderer');
  await mkdir(path.join(renderer, 'assets'), { recursive: true });
  await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>ResNet Workbench</title><script type="module" src="/assets/app.js"></script>');
  await writeFile(path.join(renderer, 'assets', 'app.js'), 'console.log("app");');
  await writeFile(path.join(renderer, 'assets', 'app.css'), 'body{}');
  await writeFile(path.join(renderer, 'assets', 'data.bin'), 'unknown type');
  await writeFile(path.join(root, 'secret.txt'), 'do not serve');
  await symlink(path.join(root, 'secret.txt'), path.join(renderer, 'assets', 'leak.txt'));

  const roots = await resolveDataRoots([dataRoot], runsRoot);
  workbench = new Workbench({ startEngine: async () => engine, runsRoot: roots.runsRoot, pathPolicy: dataRootsPolicy(roots), browseRoots: () => roots.browseRoots });
  server = await startWorkbenchServer({ service: workbench, rendererFolder: renderer, port: 0 });
  port = server.port;
  origin = `http://127.0.0.1:${port}`;
  cookie = `${tokenCookieName(server.token)}=${server.token}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await server?.close();
  await workbench?.close();
  await rm(root, { recursive: true, force: true });
});

describe('startWorkbenchServer', () => {
  it('prints a URL on 127.0.0.1 with a fresh 32-byte token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${server.token}`);
    expect(server.origin).toBe(origin);
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
    expect(port).toBeGreaterThan(0);
  });
});

describe('HTTP', () => {
  it('answers 401 without a token, telling the user to open the printed URL', async () => {
    const answer = await httpRequest(port, '/');
    expect(answer.status).toBe(401);
    expect(answer.body).toMatch(/needs its access token.*Open the URL that 'resnet-workbench serve' printed/);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(answer.body).not.toContain('ResNet Workbench</title>');
    expect((await httpRequest(port, '/assets/app.js')).status).toBe(401);
  });

  it('answers 401 to a wrong token, in the URL or the cookie', async () => {
    expect((await httpRequest(port, '/?token=wrong')).status).toBe(401);
    expect((await httpRequest(port, `/?token=${server.token.slice(0, -1)}`)).body).toMatch(/token is wrong/);
    expect((await httpRequest(port, '/', { Cookie: `${tokenCookieName(server.token)}=wrong` })).status).toBe(401);
  });

  it('moves the right token into an HttpOnly SameSite=Strict cookie and redirects to / (303)', async () => {
    const answer = await httpRequest(port, `/?token=${server.token}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    expect(answer.headers['set-cookie']).toEqual([`${tokenCookieName(server.token)}=${server.token}; HttpOnly; SameSite=Strict; Path=/`]);
  });

  it('serves the renderer to the cookie, with strict security headers', async () => {
    const page = await httpRequest(port, '/', { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>ResNet Workbench</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
    expect(csp).toContain("frame-ancestors 'none'");

    const script = await httpRequest(port, '/assets/app.js', { Cookie: cookie });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe('console.log("app");');
    expect((await httpRequest(port, '/assets/app.css', { Cookie: cookie })).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await httpRequest(port, '/index.html', { Cookie: cookie, Host: `localhost:${port}` })).status).toBe(200);
  });

  it('refuses a Host that is not this server (DNS rebinding), even with the cookie', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1']) {
      const answer = await httpRequest(port, '/', { Cookie: cookie, Host: host });
      expect(answer.status, host).toBe(421);
      expect(answer.body).not.toContain('ResNet Workbench');
    }
    expect((await httpRequest(port, `/?token=${server.token}`, { Host: 'evil.example' })).headers['set-cookie']).toBeUndefined();
  });

  it('serves nothing outside the renderer folder, no listings and no unknown types', async () => {
    for (const target of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/assets/leak.txt',
      '/assets/',
      '/assets',
      '/assets/data.bin',
      '/missing.js',
      '//etc/passwd',
      '/%00.js',
      '/%E0%A4%A.js',
    ]) {
      const answer = await httpRequest(port, target, { Cookie: cookie });
      expect(answer.status, target).toBe(404);
      expect(answer.body).not.toContain('do not serve');
    }
    expect((await httpRequest(port, '/', { Cookie: cookie }, 'POST')).status).toBe(405);
    expect((await httpRequest(port, '/ws', { Cookie: cookie })).status).toBe(426);
  });
});

describe('WebSocket handshake', () => {
  it('is refused (403) without the token, with a wrong one, or from another origin', async () => {
    await expect(openSocket(port, { origin })).rejects.toThrow('refused 403');
    await expect(openSocket(port, { origin, cookie: `${tokenCookieName(server.token)}=wrong` })).rejects.toThrow('refused 403');
    await expect(openSocket(port, { cookie })).rejects.toThrow('refused 403');
    await expect(openSocket(port, { cookie, origin: 'http://evil.example' })).rejects.toThrow('refused 403');
    await expect(openSocket(port, { cookie, origin: `http://localhost:${port}` })).rejects.toThrow('refused 403');
  });

  it('accepts a program with the token in the URL and no Origin, but never a cookie alone without one', async () => {
    const program = await openSocket(port, { path: `/ws?token=${server.token}` });
    program.close();
    await expect(openSocket(port, { cookie })).rejects.toThrow('refused 403');
    await expect(openSocket(port, { path: '/ws?token=wrong-token-wrong-token' })).rejects.toThrow('refused 403');
  });

  it('names its cookie after the server instance, so two servers on one host do not overwrite each other', () => {
    expect(tokenCookieName(server.token)).toMatch(/^rw_token_[0-9a-f]{12}$/);
    expect(tokenCookieName(server.token)).not.toBe(tokenCookieName(`${server.token}x`));
  });

  it('is refused for a foreign Host and other paths', async () => {
    await expect(openSocket(port, { cookie, origin: 'http://evil.example', host: 'evil.example' })).rejects.toThrow('refused 421');
    await expect(openSocket(port, { cookie, origin, path: '/socket' })).rejects.toThrow('refused 404');
  });

  it('accepts our origin with the cookie, or with the token in the URL', async () => {
    const socket = await ourSocket();
    expect(await socket.event('engine.ready')).toEqual(engine);
    const byToken = await openSocket(port, { origin, path: `/ws?token=${server.token}` });
    sockets.push(byToken);
    expect(await byToken.call('engine.info')).toEqual({ ok: true, value: engine });
  });
});

describe('calls over the WebSocket', () => {
  it('sends engine.ready on every new connection and answers engine.info', async () => {
    const first = await ourSocket();
    expect(first.messages[0] ?? (await first.event('engine.ready'))).toMatchObject({ event: 'engine.ready', payload: engine });
    expect(first.messages.filter((m) => 'event' in m && m.event === 'engine.ready')).toHaveLength(1);
    expect(await first.call('engine.info', {})).toEqual({ ok: true, value: engine });
    const second = await ourSocket();
    expect(await second.event('engine.ready')).toEqual(engine);
  });

  it('scans a data set inside the data roots', async () => {
    const socket = await ourSocket();
    const reply = await socket.call('dataset.scan', { train: path.join(dataRoot, 'train'), test: path.join(dataRoot, 'test') });
    expect(reply.ok).toBe(true);
    expect(reply.value).toMatchObject({ images: 12, test: { images: 6 } });
  });

  it('refuses paths outside the data roots, naming the roots, and symbolic links leading out', async () => {
    const socket = await ourSocket();
    const outside = await socket.call('dataset.scan', { train: path.join(root, 'outside') });
    expect(outside).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(outside.error?.message).toContain('outside the folders this server may use');
    expect(outside.error?.message).toContain(dataRoot);
    expect(outside.error?.message).toContain(runsRoot);
    const viaLink = await socket.call('dataset.scan', { train: path.join(dataRoot, 'escape') });
    expect(viaLink).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining(`leads to '${path.join(root, 'outside')}'`) } });
    const browse = await socket.call('files.browse', { path: '/etc' });
    expect(browse).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('browses from the data roots and the runs folder', async () => {
    const socket = await ourSocket();
    const roots = await socket.call('files.browse', {});
    expect(roots).toMatchObject({ ok: true, value: { path: null, roots: [dataRoot, runsRoot] } });
    const inside = await socket.call('files.browse', { path: dataRoot });
    expect(inside.ok).toBe(true);
    expect((inside.value as { entries: { name: string }[] }).entries.map((e) => e.name)).toEqual(expect.arrayContaining(['test', 'train']));
  });

  it('answers malformed messages and unknown calls with errors, and keeps serving the connection', async () => {
    const socket = await ourSocket();
    socket.sendRaw('{not json');
    const broken = await socket.next((m) => 'id' in m && m.id === null);
    expect(broken).toMatchObject({ id: null, reply: { ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('not valid JSON') } } });

    socket.sendRaw(JSON.stringify({ id: 900, method: 'engine.info' }));
    expect(await socket.next((m) => 'id' in m && m.id === 900)).toMatchObject({ reply: { ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('call shape') } } });
    socket.sendRaw(JSON.stringify([1, 2, 3]));
    socket.sendRaw('null');
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await socket.next(() => socket.messages.filter((m) => 'id' in m && m.id === null).length >= 4);

    expect(await socket.call('engine.shutdown')).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining("Unknown call 'engine.shutdown'") } });
    expect(await socket.call('__proto__.constructor')).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(await socket.call('dataset.scan', { train: 'relative' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(await socket.call('engine.info')).toEqual({ ok: true, value: engine });
  });

  it('closes a socket that sends more than 32 MiB with 1009, and keeps serving the others', async () => {
    const big = await ourSocket();
    const other = await ourSocket();
    big.sendRaw(JSON.stringify({ id: 1, call: 'engine.info', params: { padding: 'x'.repeat(33 * 1024 * 1024) } }));
    expect(await big.closed()).toBe(1009);
    expect(await other.call('engine.info')).toEqual({ ok: true, value: engine });
    const fresh = await ourSocket();
    expect(await fresh.call('engine.info')).toEqual({ ok: true, value: engine });
  });
});

describe('events', () => {
  it('reach every connected tab: two clients watch the same short run', async () => {
    const starter = await ourSocket();
    const watcher = await ourSocket();
    const config = { trainDir: path.join(dataRoot, 'train'), testDir: path.join(dataRoot, 'test'), weights: 'none', imageSize: 32, batchSize: 8, augment: false, epochs: 1 };
    const started = await starter.call('runs.start', { config });
    expect(started.ok, JSON.stringify(started)).toBe(true);
    const { runId, folder } = started.value as { runId: string; folder: string };
    expect(folder.startsWith(runsRoot)).toBe(true);

    const isThisRun = (payload: unknown): boolean => (payload as { runId?: string }).runId === runId;
    const [seenByStarter, seenByWatcher] = await Promise.all([starter.event('run.finished', isThisRun, 120_000), watcher.event('run.finished', isThisRun, 120_000)]);
    expect(seenByWatcher).toEqual(seenByStarter);
    for (const socket of [starter, watcher]) {
      const names = socket.messages.filter((m): m is { event: string; payload: unknown } => 'event' in m && isThisRun(m.payload)).map((m) => m.event);
      expect(names).toContain('run.started');
      expect(names).toContain('run.epoch');
    }
    const run = await watcher.call('runs.get', { runId });
    expect(run).toMatchObject({ ok: true, value: { runId, status: 'finished' } });
  }, 180_000);
});

describe('close', () => {
  it('closes the connected sockets (going away) and stops listening', async () => {
    const roots = await resolveDataRoots([dataRoot], runsRoot);
    const local = new Workbench({ startEngine: async () => engine, runsRoot: roots.runsRoot, pathPolicy: dataRootsPolicy(roots) });
    const own = await startWorkbenchServer({ service: local, rendererFolder: path.join(root, 'renderer'), port: 0, token: 'a-token-of-our-own-choosing' });
    expect(own.url).toBe(`http://127.0.0.1:${own.port}/?token=a-token-of-our-own-choosing`);
    const socket = await openSocket(own.port, { cookie: `${tokenCookieName('a-token-of-our-own-choosing')}=a-token-of-our-own-choosing`, origin: `http://127.0.0.1:${own.port}` });
    await socket.event('engine.ready');
    await own.close();
    expect(await socket.closed()).toBe(1001);
    await expect(httpRequest(own.port, '/')).rejects.toThrow(/ECONNREFUSED/);
    await local.close();
  });
});
