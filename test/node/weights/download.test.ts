import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { downloadFile, partPathFor, probeDownload, type DownloadProgress } from '../../../src-main/node/weights/download';
import { startHttpFixtureServer, unusedLocalPort, type HttpFixtureServer } from '../../support/httpFixtureServer';

const FILE_PATH = '/models/resnet18-test.pth';
// Large enough for several chunks, small enough to stay fast.
const BODY = new Uint8Array(randomBytes(300_000));
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const PREFIX = SHA256.slice(0, 8);

let folder: string;
let server: HttpFixtureServer;
let dest: string;

beforeEach(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'rw-download-'));
  dest = path.join(folder, 'weights', 'resnet18-test.pth');
  server = await startHttpFixtureServer({ [FILE_PATH]: BODY }, { chunkSize: 16_384 });
});

afterEach(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function failure(promise: Promise<unknown>): Promise<WorkbenchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkbenchError);
  return error as WorkbenchError;
}

describe('downloadFile', () => {
  it('downloads, verifies the hash and places the file, reporting monotone progress up to the total', async () => {
    const events: DownloadProgress[] = [];
    const result = await downloadFile(server.url(FILE_PATH), dest, {
      expectedSha256Prefix: PREFIX,
      onProgress: (p) => events.push(p),
      progressIntervalMs: 0,
    });
    expect(result).toEqual({ path: dest, bytes: BODY.length, sha256: SHA256, resumedFrom: 0 });
    expect(Buffer.compare(await readFile(dest), BODY)).toBe(0);
    expect(await exists(partPathFor(dest))).toBe(false);
    expect(events.length).toBeGreaterThan(2);
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytes).toBeGreaterThanOrEqual(events[i - 1]!.bytes);
    expect(events.every((e) => e.total === BODY.length && e.resumedFrom === 0)).toBe(true);
    expect(events.at(-1)!.bytes).toBe(BODY.length);
    expect(events.at(-1)!.bytesPerSecond).toBeGreaterThan(0);
    expect(server.requests).toEqual([{ path: FILE_PATH, range: undefined, status: 200 }]);
  });

  it('leaves the .part file after a cut connection, then resumes with one Range request from its end', async () => {
    server.behaviour = { ...server.behaviour, cutAfterBytes: 100_000 };
    const error = await failure(downloadFile(server.url(FILE_PATH), dest, { expectedSha256Prefix: PREFIX }));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('run the same command again to resume');
    expect(await exists(dest)).toBe(false);
    const partSize = (await stat(partPathFor(dest))).size;
    expect(partSize).toBe(100_000);

    server.behaviour = { chunkSize: 16_384 };
    const events: DownloadProgress[] = [];
    const result = await downloadFile(server.url(FILE_PATH), dest, { expectedSha256Prefix: PREFIX, onProgress: (p) => events.push(p) });
    expect(result).toMatchObject({ bytes: BODY.length, sha256: SHA256, resumedFrom: partSize });
    expect(Buffer.compare(await readFile(dest), BODY)).toBe(0);
    expect(await exists(partPathFor(dest))).toBe(false);
    const resumes = server.requests.slice(1);
    expect(resumes).toEqual([{ path: FILE_PATH, range: `bytes=${partSize}-`, status: 206 }]);
    expect(events[0]).toMatchObject({ bytes: partSize, resumedFrom: partSize, total: BODY.length });
    expect(events.at(-1)!.bytes).toBe(BODY.length);
  });

  it('rejects bytes with the wrong hash, naming expected and found, and leaves nothing behind', async () => {
    server.behaviour = { wrongBytes: true };
    const error = await failure(downloadFile(server.url(FILE_PATH), dest, { expectedSha256Prefix: PREFIX }));
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    const wrongHash = createHash('sha256')
      .update(BODY.map((x) => 255 - x))
      .digest('hex');
    expect(error.message).toContain(PREFIX);
    expect(error.message).toContain(wrongHash);
    expect(await readdir(path.dirname(dest))).toEqual([]);
  });

  it('starts over cleanly when the server ignores the Range request', async () => {
    // A stale .part with garbage: if it were kept and appended to, the hash would fail.
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(partPathFor(dest), randomBytes(50_000));
    server.behaviour = { ignoreRange: true };
    const result = await downloadFile(server.url(FILE_PATH), dest, { expectedSha256Prefix: PREFIX });
    expect(result).toMatchObject({ bytes: BODY.length, sha256: SHA256, resumedFrom: 0 });
    expect(Buffer.compare(await readFile(dest), BODY)).toBe(0);
    expect(server.requests).toEqual([{ path: FILE_PATH, range: 'bytes=50000-', status: 200 }]);
  });

  it('finishes a .part file that is already complete (416) without downloading again', async () => {
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(partPathFor(dest), BODY);
    const result = await downloadFile(server.url(FILE_PATH), dest, { expectedSha256Prefix: PREFIX });
    expect(result).toMatchObject({ bytes: BODY.length, sha256: SHA256 });
    expect(server.requests).toEqual([{ path: FILE_PATH, range: `bytes=${BODY.length}-`, status: 416 }]);
    expect(Buffer.compare(await readFile(dest), BODY)).toBe(0);
  });

  it('reports an unreachable server as OFFLINE with the exact import command', async () => {
    const port = await unusedLocalPort();
    const url = `http://127.0.0.1:${port}/models/resnet18-f37072fd.pth`;
    const error = await failure(downloadFile(url, dest, { expectedSha256Prefix: 'f37072fd' }));
    expect(error.code).toBe('OFFLINE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`download ${url} on a machine with internet access`);
    expect(error.message).toContain('resnet-workbench weights import resnet18-f37072fd.pth');
    expect(await exists(dest)).toBe(false);
  });

  it('reports an HTTP error status as NETWORK naming the status', async () => {
    const error = await failure(downloadFile(server.url('/models/missing-00000000.pth'), dest, { expectedSha256Prefix: '00000000' }));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('HTTP 404');
  });

  it('gives up on a server that stops sending, keeping the .part for a resume', async () => {
    server.behaviour = { stallAfterBytes: 70_000 };
    const error = await failure(downloadFile(server.url(FILE_PATH), dest, { expectedSha256Prefix: PREFIX, timeoutMs: 300 }));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('no data for 300 ms');
    expect((await stat(partPathFor(dest))).size).toBe(70_000);
    expect(await exists(dest)).toBe(false);
  });

  it('stops when its AbortSignal fires and puts no file at the destination', async () => {
    server.behaviour = { chunkSize: 10_000, chunkDelayMs: 20 };
    const controller = new AbortController();
    const error = await failure(
      downloadFile(server.url(FILE_PATH), dest, {
        expectedSha256Prefix: PREFIX,
        signal: controller.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.bytes >= 30_000) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(await exists(dest)).toBe(false);
    const kept = (await stat(partPathFor(dest))).size;
    expect(kept).toBeGreaterThanOrEqual(30_000);
    expect(kept).toBeLessThan(BODY.length);
  });
});

describe('probeDownload', () => {
  it('says reachable when the server has the file, and downloads nothing', async () => {
    expect(await probeDownload(server.url(FILE_PATH))).toEqual({ reachable: true, host: new URL(server.baseUrl).host, reason: null });
    expect(server.requests).toEqual([{ path: FILE_PATH, range: undefined, status: 200 }]);
    expect(await exists(dest)).toBe(false);
  });

  it('says why not, in words, when the server lacks the file', async () => {
    const probe = await probeDownload(server.url('/models/missing.pth'));
    expect(probe.reachable).toBe(false);
    expect(probe.reason).toContain('does not have the file (HTTP 404)');
  });

  it('says the computer looks offline when nothing listens, with no network code', async () => {
    const url = `http://127.0.0.1:${await unusedLocalPort()}/models/resnet18-test.pth`;
    const probe = await probeDownload(url);
    expect(probe.reachable).toBe(false);
    expect(probe.reason).toMatch(/cannot reach 127\.0\.0\.1:\d+: it looks offline/);
    expect(probe.reason).not.toMatch(/ECONN|ENOTFOUND/);
  });

  it('gives up within its time limit on a server that never answers', async () => {
    server.behaviour = { ...server.behaviour, stallAfterBytes: 0 };
    const never: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const started = Date.now();
    const probe = await probeDownload(server.url(FILE_PATH), { fetchImpl: never, timeoutMs: 200 });
    expect(probe.reachable).toBe(false);
    expect(probe.reason).toContain('cannot reach');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
