import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { torchvisionStateDictLayout, type ResNetDepth } from '../../../src-main/common/resnetSpec';
import { PRETRAINED_WEIGHTS, findPretrainedWeights, type PretrainedWeights } from '../../../src-main/node/weights/catalog';
import { readCheckpoint } from '../../../src-main/node/weights/checkpointFile';
import { partPathFor } from '../../../src-main/node/weights/download';
import { serializeSafetensors } from '../../../src-main/node/weights/safetensors';
import type { StateDict } from '../../../src-main/node/weights/stateDict';
import {
  BUNDLED_WEIGHTS_ENV,
  WEIGHTS_URL_ENV,
  bundledWeightsFolder,
  ensureWeights,
  importWeights,
  listImportedWeights,
  listWeights,
  weightsBaseUrl,
} from '../../../src-main/node/weights/weightsStore';
import { startHttpFixtureServer, unusedLocalPort, type HttpFixtureServer } from '../../support/httpFixtureServer';

/** A torchvision-layout state dict with pseudo-random values (a seeded LCG, so files are reproducible). */
function randomResNetStateDict(depth: ResNetDepth, numClasses: number, seed: number): StateDict {
  let state = seed >>> 0;
  const dict: StateDict = new Map();
  for (const p of torchvisionStateDictLayout(depth, numClasses)) {
    const count = p.shape.reduce((a, b) => a * b, 1);
    if (p.dtype === 'int64') {
      dict.set(p.key, { dtype: 'int64', shape: p.shape, data: new BigInt64Array(count).fill(7n) });
      continue;
    }
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = state / 2 ** 32 - 0.5;
    }
    dict.set(p.key, { dtype: 'float32', shape: p.shape, data });
  }
  return dict;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function failure(promise: Promise<unknown>): Promise<WorkbenchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkbenchError);
  return error as WorkbenchError;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** A catalog whose ResNet-18 V1 entry is the given bytes (the real entries' hashes cannot be forged). */
function catalogFor(bytes: Uint8Array, extension = '.pth'): { catalog: PretrainedWeights[]; entry: PretrainedWeights } {
  const real = findPretrainedWeights(18, 'IMAGENET1K_V1')!;
  const prefix = sha256(bytes).slice(0, 8);
  const fileName = `resnet18-${prefix}${extension}`;
  const entry: PretrainedWeights = { ...real, fileName, sha256Prefix: prefix, url: `https://example.invalid/${fileName}` };
  return { entry, catalog: PRETRAINED_WEIGHTS.map((w) => (w === real ? entry : w)) };
}

let resnet18Bytes: Uint8Array;
let resnet18TenClassBytes: Uint8Array;
let root: string;
let folder: string;
let sources: string;

beforeAll(() => {
  resnet18Bytes = serializeSafetensors(randomResNetStateDict(18, 1000, 1));
  resnet18TenClassBytes = serializeSafetensors(randomResNetStateDict(18, 10, 2));
});

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rw-store-'));
  folder = path.join(root, 'data', 'weights');
  sources = path.join(root, 'elsewhere');
  await mkdir(sources);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('listWeights', () => {
  it('lists every catalog entry with its path, and marks the ones in the folder as present', async () => {
    const before = await listWeights({ folder });
    expect(before).toHaveLength(PRETRAINED_WEIGHTS.length);
    expect(before.every((w) => !w.present && w.bytes === undefined && w.path === path.join(folder, w.fileName))).toBe(true);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'resnet50-11ad3fa6.pth'), 'x'.repeat(12));
    const after = await listWeights({ folder });
    const present = after.filter((w) => w.present);
    expect(present.map((w) => [w.depth, w.variant, w.bytes])).toEqual([[50, 'IMAGENET1K_V2', 12]]);
  });
});

describe('weights shipped with the app', () => {
  it('are looked for in $RESNET_WORKBENCH_BUNDLED_WEIGHTS, else in <resources>/weights of the desktop app, else nowhere', () => {
    expect(bundledWeightsFolder({ [BUNDLED_WEIGHTS_ENV]: '/srv/weights' }, '/opt/app/resources')).toBe(path.resolve('/srv/weights'));
    expect(bundledWeightsFolder({}, '/opt/app/resources')).toBe(path.join('/opt/app/resources', 'weights'));
    expect(bundledWeightsFolder({}, undefined)).toBeUndefined();
  });

  it('are listed as present and bundled, used without a download, and a copy in the weights folder comes first', async () => {
    const bundledFolder = path.join(root, 'bundled');
    await mkdir(bundledFolder, { recursive: true });
    await writeFile(path.join(bundledFolder, 'resnet18-f37072fd.pth'), 'b'.repeat(7));
    const listed = await listWeights({ folder, bundledFolder });
    expect(listed.filter((w) => w.present).map((w) => [w.fileName, w.bundled, w.path, w.bytes])).toEqual([['resnet18-f37072fd.pth', true, path.join(bundledFolder, 'resnet18-f37072fd.pth'), 7]]);
    expect(listed.filter((w) => !w.present).every((w) => !w.bundled && w.path.startsWith(folder))).toBe(true);
    const noNetwork = (() => Promise.reject(new Error('no network'))) as typeof fetch;
    expect(await ensureWeights(18, 'IMAGENET1K_V1', { folder, bundledFolder, fetchImpl: noNetwork })).toMatchObject({ path: path.join(bundledFolder, 'resnet18-f37072fd.pth'), downloaded: false });
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'resnet18-f37072fd.pth'), 'o'.repeat(5));
    expect((await listWeights({ folder, bundledFolder })).find((w) => w.depth === 18)).toMatchObject({ present: true, bundled: false, bytes: 5 });
    await expect(ensureWeights(34, 'IMAGENET1K_V1', { folder, bundledFolder, fetchImpl: noNetwork, timeoutMs: 1000 })).rejects.toThrow();
  });
});

describe('weightsBaseUrl', () => {
  it('prefers the option, then the environment, then torchvision', () => {
    expect(weightsBaseUrl('http://127.0.0.1:9/m/', { [WEIGHTS_URL_ENV]: 'http://mirror/x' })).toBe('http://127.0.0.1:9/m');
    expect(weightsBaseUrl(undefined, { [WEIGHTS_URL_ENV]: 'http://mirror/x' })).toBe('http://mirror/x');
    expect(weightsBaseUrl(undefined, {})).toBe('https://download.pytorch.org/models');
  });
});

describe('ensureWeights', () => {
  let server: HttpFixtureServer;
  const body = new Uint8Array(randomBytes(40_000));
  const { catalog, entry } = catalogFor(body);

  beforeAll(async () => {
    server = await startHttpFixtureServer({ [`/models/${entry.fileName}`]: body });
  });
  afterAll(async () => {
    await server.close();
  });

  it('downloads a missing checkpoint from the base URL, then finds it in the folder without a request', async () => {
    server.requests.length = 0;
    const baseUrl = server.url('/models');
    const first = await ensureWeights(18, 'IMAGENET1K_V1', { folder, catalog, baseUrl });
    expect(first).toMatchObject({ path: path.join(folder, entry.fileName), downloaded: true, weights: entry });
    expect(first.download?.sha256).toBe(sha256(body));
    expect(Buffer.compare(await readFile(first.path), body)).toBe(0);
    const second = await ensureWeights(18, 'IMAGENET1K_V1', { folder, catalog, baseUrl });
    expect(second).toMatchObject({ path: first.path, downloaded: false, download: undefined });
    expect(server.requests).toHaveLength(1);
    expect((await listWeights({ folder, catalog })).filter((w) => w.present).map((w) => w.fileName)).toEqual([entry.fileName]);
  });

  it('shares one download between concurrent callers', async () => {
    server.requests.length = 0;
    const baseUrl = server.url('/models');
    const [a, b] = await Promise.all([
      ensureWeights(18, undefined, { folder, catalog, baseUrl }),
      ensureWeights(18, undefined, { folder, catalog, baseUrl }),
    ]);
    expect(a.path).toBe(b.path);
    expect(server.requests).toHaveLength(1);
    expect(Buffer.compare(await readFile(a.path), body)).toBe(0);
  });

  it('refuses a variant torchvision does not publish, naming the ones it does', async () => {
    const error = await failure(ensureWeights(34, 'IMAGENET1K_V2', { folder }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('no IMAGENET1K_V2 weights for ResNet-34; available: IMAGENET1K_V1');
  });

  it('offline, says how to import the real torchvision file', async () => {
    const port = await unusedLocalPort();
    const error = await failure(ensureWeights(34, undefined, { folder, baseUrl: `http://127.0.0.1:${port}/models` }));
    expect(error.code).toBe('OFFLINE');
    expect(error.message).toContain('resnet-workbench weights import resnet34-b627a593.pth');
    expect(await readdir(folder)).toEqual([]);
  });

  it('keeps nothing when the server sends other bytes', async () => {
    server.behaviour = { wrongBytes: true };
    try {
      const error = await failure(ensureWeights(18, undefined, { folder, catalog, baseUrl: server.url('/models') }));
      expect(error.code).toBe('CHECKSUM_MISMATCH');
    } finally {
      server.behaviour = {};
    }
    expect(await exists(path.join(folder, entry.fileName))).toBe(false);
    expect(await exists(partPathFor(path.join(folder, entry.fileName)))).toBe(false);
  });
});

describe('importWeights', () => {
  it('stores a checkpoint that matches a catalog hash under its canonical name, once', async () => {
    const { catalog, entry } = catalogFor(resnet18Bytes, '.safetensors');
    const source = path.join(sources, 'downloaded on a laptop.safetensors');
    await writeFile(source, resnet18Bytes);
    const result = await importWeights(source, { folder, catalog });
    expect(result).toMatchObject({ kind: 'pretrained', weights: entry, depth: 18, numClasses: 1000, sha256: sha256(resnet18Bytes), alreadyPresent: false });
    expect(result.path).toBe(path.join(folder, entry.fileName));
    expect(Buffer.compare(await readFile(result.path), resnet18Bytes)).toBe(0);
    // What is stored loads back as the same ResNet.
    expect((await readCheckpoint(result.path)).get('fc.weight')?.shape).toEqual([1000, 512]);
    const again = await importWeights(source, { folder, catalog });
    expect(again).toMatchObject({ kind: 'pretrained', alreadyPresent: true, path: result.path });
    // No temp files left behind.
    expect(await readdir(folder)).toEqual([entry.fileName]);
    expect((await listWeights({ folder, catalog })).find((w) => w.present)?.fileName).toBe(entry.fileName);
  });

  it('stores any other ResNet under imported/ with its hash prefix and a sidecar, never overwriting', async () => {
    const source = path.join(sources, 'my model.safetensors');
    await writeFile(source, resnet18TenClassBytes);
    const hash = sha256(resnet18TenClassBytes);
    const now = new Date('2026-11-27T10:00:00Z');
    const result = await importWeights(source, { folder, now });
    const fileName = `my-model-${hash.slice(0, 8)}.safetensors`;
    expect(result).toMatchObject({ kind: 'imported', depth: 18, numClasses: 10, sha256: hash, alreadyPresent: false, source });
    expect(result.path).toBe(path.join(folder, 'imported', fileName));
    expect(Buffer.compare(await readFile(result.path), resnet18TenClassBytes)).toBe(0);
    const sidecar = JSON.parse(await readFile(`${result.path}.json`, 'utf8')) as Record<string, unknown>;
    expect(sidecar).toEqual({ fileName, source, depth: 18, numClasses: 10, sha256: hash, bytes: resnet18TenClassBytes.length, importedAt: now.toISOString() });

    // A different file of the same name gets its own entry; the first one is untouched.
    await writeFile(source, resnet18Bytes);
    const second = await importWeights(source, { folder, now: new Date('2026-11-27T11:00:00Z') });
    expect(second.path).not.toBe(result.path);
    expect(second).toMatchObject({ kind: 'imported', numClasses: 1000, alreadyPresent: false });
    expect(Buffer.compare(await readFile(result.path), resnet18TenClassBytes)).toBe(0);

    // The same file again is recognised, not copied.
    expect(await importWeights(source, { folder })).toMatchObject({ path: second.path, alreadyPresent: true });
    const listed = await listImportedWeights({ folder });
    expect(listed.map((w) => [w.numClasses, w.path])).toEqual([
      [10, result.path],
      [1000, second.path],
    ]);
    expect((await readdir(path.join(folder, 'imported'))).sort()).toHaveLength(4);
  });

  it('refuses a checkpoint of another depth than asked for, naming both', async () => {
    const source = path.join(sources, 'r18.safetensors');
    await writeFile(source, resnet18Bytes);
    const error = await failure(importWeights(source, { folder, depth: 50 }));
    expect(error.code).toBe('CHECKPOINT_MISMATCH');
    expect(error.message).toMatch(/ResNet-18.*ResNet-50/);
    expect(await exists(folder)).toBe(false);
  });

  it('refuses a file claimed to be a torchvision variant whose hash is not that checkpoint', async () => {
    const source = path.join(sources, 'resnet18-f37072fd.safetensors');
    await writeFile(source, resnet18Bytes);
    const error = await failure(importWeights(source, { folder, variant: 'IMAGENET1K_V1' }));
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toContain('ResNet18_Weights.IMAGENET1K_V1');
    expect(error.message).toContain('f37072fd');
    expect(error.message).toContain(sha256(resnet18Bytes));
  });

  it('refuses files that are not ResNet checkpoints, and missing files', async () => {
    const junk = path.join(sources, 'notes.pth');
    await writeFile(junk, 'hello');
    expect((await failure(importWeights(junk, { folder }))).code).toBe('CHECKPOINT_CORRUPT');
    const missing = await failure(importWeights(path.join(sources, 'nope.pth'), { folder }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('nope.pth');
    expect(await exists(folder)).toBe(false);
  });
});
