/**
 * `resnet-workbench serve` as a user runs it: a child process that prints its URL, answers a browser's
 * requests and WebSocket, and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, openSocket } from '../server/wsTestClient';
import { tokenCookieName } from '../../../src-main/node/server/serverSecurity';

const BIN = fileURLToPath(new URL('../../../src-main/node/cli/bin.mjs', import.meta.url));

let work: string;
let renderer: string;
let dataRoot: string;

interface Served {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function serve(args: string[]): Served {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: { ...process.env, RESNET_WORKBENCH_DATA: path.join(work, 'app') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitFor<T>(what: string, read: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'rw-serve-cli-')));
  renderer = path.join(work, 'renderer');
  dataRoot = path.join(work, 'data');
  await mkdir(renderer, { recursive: true });
  await mkdir(dataRoot, { recursive: true });
  await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>ResNet Workbench</title>');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('resnet-workbench serve', () => {
  it('prints its URL with a token, serves the UI and the WebSocket, and stops cleanly on SIGTERM', async () => {
    const served = serve(['--port', '0', '--data-root', dataRoot, '--renderer-dir', renderer, '--no-open']);
    try {
      const match = await waitFor('the URL', () => /ResNet Workbench is serving on (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43}))\n/.exec(served.stdout()) ?? undefined);
      const [, , portText, token] = match as unknown as [string, string, string, string];
      const port = Number(portText);
      expect(served.stdout()).toContain(`data roots: ${dataRoot}`);
      expect(served.stdout()).toContain(`runs folder: ${path.join(work, 'app', 'runs')}`);
      expect(served.stderr()).not.toMatch(/warning/);

      expect((await httpRequest(port, '/')).status).toBe(401);
      const signIn = await httpRequest(port, `/?token=${token}`);
      expect(signIn.status).toBe(303);
      const page = await httpRequest(port, '/', { Cookie: `${tokenCookieName(token)}=${token}` });
      expect(page.status).toBe(200);
      expect(page.body).toContain('ResNet Workbench');

      // A WebSocket loads the real engine in the server process: it must still exit on SIGTERM.
      const socket = await openSocket(port, { cookie: `${tokenCookieName(token)}=${token}`, origin: `http://127.0.0.1:${port}` });
      const ready = await socket.event('engine.ready', () => true, 60_000);
      expect(ready).toMatchObject({ backend: expect.any(String) });
      const browse = await socket.call('files.browse', {});
      expect(browse).toMatchObject({ ok: true, value: { roots: [dataRoot, path.join(work, 'app', 'runs'), path.join(work, 'app', 'exports')] } });

      served.child.kill('SIGTERM');
      expect(await socket.closed()).toBe(1001);
      expect(await served.exited).toEqual({ code: 0, signal: null });
      expect(served.stdout()).toContain('stopped.');
      await expect(httpRequest(port, '/')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      served.child.kill('SIGKILL');
    }
  }, 120_000);

  it('prints a JSON serving event with --json and warns when listening beyond this machine', async () => {
    const served = serve(['--host', '0.0.0.0', '--port', '0', '--data-root', dataRoot, '--renderer-dir', renderer, '--token', 'our-own-token-0123456789', '--json']);
    try {
      const line = await waitFor('the serving event', () => served.stdout().split('\n').find((l) => l.includes('"event":"serving"')));
      const event = JSON.parse(line) as { url: string; port: number; dataRoots: string[] };
      expect(event.url).toMatch(/\/\?token=our-own-token-0123456789$/);
      expect(event.dataRoots).toEqual([dataRoot]);
      await waitFor('the warning', () => (served.stderr().includes('anyone on the network') ? true : undefined));
      expect((await httpRequest(event.port, '/?token=our-own-token-0123456789', { Host: `localhost:${event.port}` })).status).toBe(303);
      served.child.kill('SIGINT');
      expect((await served.exited).code).toBe(0);
      expect(served.stdout().trim().split('\n').at(-1)).toBe('{"ok":true,"signal":"SIGINT"}');
    } finally {
      served.child.kill('SIGKILL');
    }
  }, 120_000);

  it('exits with a clear error when the UI is not built, a data root is missing, or an option is bad', async () => {
    const unbuilt = serve(['--port', '0', '--data-root', dataRoot, '--renderer-dir', path.join(work, 'nothing-here')]);
    const noRoot = serve(['--port', '0', '--data-root', path.join(work, 'no-such-folder'), '--renderer-dir', renderer]);
    const badPort = serve(['--port', '70000', '--renderer-dir', renderer]);
    const badToken = serve(['--token', 'short', '--renderer-dir', renderer]);
    const [unbuiltExit, noRootExit, badPortExit, badTokenExit] = await Promise.all([unbuilt.exited, noRoot.exited, badPort.exited, badToken.exited]);

    expect(unbuiltExit.code).toBe(1);
    expect(unbuilt.stderr()).toMatch(/The built UI is missing .*run 'npm run build' first/);
    expect(noRootExit.code).toBe(1);
    expect(noRoot.stderr()).toMatch(/data root .*no-such-folder' does not exist/);
    expect(badPortExit.code).toBe(2);
    expect(badPort.stderr()).toMatch(/port must be a whole number from 0 to 65535/);
    expect(badTokenExit.code).toBe(2);
    expect(badToken.stderr()).toMatch(/at least 16 characters/);
  }, 120_000);
});
