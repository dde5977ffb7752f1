import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATA_FOLDER_ENV } from '../../../src-main/node/appPaths';
import { PRETRAINED_WEIGHTS } from '../../../src-main/node/weights/catalog';
import { partPathFor } from '../../../src-main/node/weights/download';
import { serializeSafetensors } from '../../../src-main/node/weights/safetensors';
import type { StateDict } from '../../../src-main/node/weights/stateDict';
import { WEIGHTS_URL_ENV } from '../../../src-main/node/weights/weightsStore';
import { torchvisionStateDictLayout } from '../../../src-main/common/resnetSpec';
import { startHttpFixtureServer, unusedLocalPort, type HttpFixtureServer } from '../../support/httpFixtureServer';
import { jsonLines, runCliInProcess } from '../../support/runCliInProcess';

const run = runCliInProcess;

/** ResNet-18 with a 3-class head and constant values: small to build, a valid checkpoint to read. */
function tinyHeadResNet18(): StateDict {
  const dict: StateDict = new Map();
  for (const p of torchvisionStateDictLayout(18, 3)) {
    const count = p.shape.reduce((a, b) => a * b, 1);
    dict.set(
      p.key,
      p.dtype === 'int64' ? { dtype: 'int64', shape: p.shape, data: new BigInt64Array(count) } : { dtype: 'float32', shape: p.shape, data: new Float32Array(count).fill(0.25) },
    );
  }
  return dict;
}

let root: string;
let weightsDir: string;
const savedEnv = { data: process.env[DATA_FOLDER_ENV], url: process.env[WEIGHTS_URL_ENV] };

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rw-cli-weights-'));
  process.env[DATA_FOLDER_ENV] = path.join(root, 'data');
  weightsDir = path.join(root, 'data', 'weights');
});

afterEach(async () => {
  for (const [key, value] of [
    [DATA_FOLDER_ENV, savedEnv.data],
    [WEIGHTS_URL_ENV, savedEnv.url],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(root, { recursive: true, force: true });
});

describe('resnet-workbench weights', () => {
  it('has --help on the command and each subcommand', async () => {
    for (const args of [['weights'], ['weights', 'list'], ['weights', 'download'], ['weights', 'import']]) {
      const r = await run(...args, '--help');
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: resnet-workbench weights/m);
    }
    expect((await run('weights', '--help')).stdout).toMatch(/^ {2}download .*<depth>/m);
    expect((await run('weights', 'download', '--help')).stdout).toContain('--variant');
  });

  it('exits 2 with one line for bad usage', async () => {
    for (const args of [['weights'], ['weights', 'download', '19'], ['weights', 'download', '18', '--variant', 'V2'], ['weights', 'download', '50', '--variant', 'V3'], ['weights', 'import']]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect((await run('weights', 'download', '18', '--variant', 'V2')).stderr).toContain('ResNet-18 has no V2 weights; available: V1');
  });

  it('list --json gives every torchvision checkpoint, the folder from RESNET_WORKBENCH_DATA, and what is present', async () => {
    await mkdir(weightsDir, { recursive: true });
    await writeFile(path.join(weightsDir, 'resnet34-b627a593.pth'), 'placeholder');
    const r = await run('weights', 'list', '--json');
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(1);
    const summary = lines[0] as { folder: string; pretrained: { fileName: string; present: boolean; depth: number; variant: string }[]; imported: unknown[] };
    expect(summary.folder).toBe(weightsDir);
    expect(summary.pretrained.map((w) => w.fileName)).toEqual(PRETRAINED_WEIGHTS.map((w) => w.fileName));
    expect(summary.pretrained.filter((w) => w.present).map((w) => `${w.depth} ${w.variant}`)).toEqual(['34 IMAGENET1K_V1']);
    expect(summary.imported).toEqual([]);
  });

  it('list prints a table for people', async () => {
    const r = await run('weights', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`weights folder: ${weightsDir}`);
    expect(r.stdout).toMatch(/^ *18 +V1 \(default\) +69\.758 +89\.078 +11\.7M +1\.81 +256\/224 +resnet18-f37072fd\.pth +-$/m);
    expect(r.stdout).toMatch(/^ *152 +V2 +82\.284 +96\.002 +60\.2M +11\.51 +232\/224 +resnet152-f82ba261\.pth +-$/m);
  });

  it('download of a present checkpoint says so without touching the network', async () => {
    await mkdir(weightsDir, { recursive: true });
    await writeFile(path.join(weightsDir, 'resnet50-11ad3fa6.pth'), 'placeholder');
    process.env[WEIGHTS_URL_ENV] = `http://127.0.0.1:${await unusedLocalPort()}`;
    const r = await run('weights', 'download', '50', '--variant', 'v2', '--json');
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([
      expect.objectContaining({ depth: 50, variant: 'IMAGENET1K_V2', downloaded: false, path: path.join(weightsDir, 'resnet50-11ad3fa6.pth') }),
    ]);
  });

  it('offline, exits 1 with the import command to use instead', async () => {
    process.env[WEIGHTS_URL_ENV] = `http://127.0.0.1:${await unusedLocalPort()}/models`;
    const r = await run('weights', 'download', '18');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('resnet-workbench weights import resnet18-f37072fd.pth');
    const json = await run('weights', 'download', '18', '--json');
    expect(jsonLines(json.stdout).at(-1)).toMatchObject({ ok: false, error: { code: 'OFFLINE' } });
  });

  describe('against a local server', () => {
    let server: HttpFixtureServer;
    const entry = PRETRAINED_WEIGHTS.find((w) => w.depth === 101 && w.variant === 'IMAGENET1K_V1')!;
    // Not the real checkpoint (its hash cannot be forged), so a complete download must be refused.
    const body = new Uint8Array(200_000).fill(3);

    beforeAll(async () => {
      server = await startHttpFixtureServer({ [`/models/${entry.fileName}`]: body });
    });
    afterAll(async () => {
      await server.close();
    });

    it('streams JSON progress events and fails on the checksum, keeping nothing', async () => {
      process.env[WEIGHTS_URL_ENV] = server.url('/models');
      const r = await run('weights', 'download', '101', '--json');
      expect(r.code).toBe(1);
      const lines = jsonLines(r.stdout);
      const progress = lines.filter((l) => l.event === 'progress');
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)).toMatchObject({ bytes: body.length, total: body.length });
      expect(lines.at(-1)).toMatchObject({ ok: false, error: { code: 'CHECKSUM_MISMATCH' } });
      expect(String((lines.at(-1)!.error as { message: string }).message)).toContain(entry.sha256Prefix);
      expect(await readdir(weightsDir)).toEqual([]);
    });

    it('a cut transfer exits 1 telling to run again, and keeps the partial file', async () => {
      process.env[WEIGHTS_URL_ENV] = server.url('/models');
      server.behaviour = { cutAfterBytes: 50_000 };
      try {
        const r = await run('weights', 'download', '101');
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('run the same command again to resume');
      } finally {
        server.behaviour = {};
      }
      expect(await readdir(weightsDir)).toEqual([path.basename(partPathFor(entry.fileName))]);
    });
  });

  it('import stores a local checkpoint and list shows it', async () => {
    const bytes = serializeSafetensors(tinyHeadResNet18());
    const source = path.join(root, 'fine-tuned.safetensors');
    await writeFile(source, bytes);
    const r = await run('weights', 'import', source, '--json');
    expect(r.code).toBe(0);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const expectedPath = path.join(weightsDir, 'imported', `fine-tuned-${hash.slice(0, 8)}.safetensors`);
    expect(jsonLines(r.stdout)).toEqual([
      { kind: 'imported', path: expectedPath, source, depth: 18, numClasses: 3, sha256: hash, bytes: bytes.length, alreadyPresent: false, torchvisionName: null },
    ]);
    const human = await run('weights', 'import', source);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('a ResNet-18 checkpoint with 3 classes, already in the weights folder');
    const list = await run('weights', 'list');
    expect(list.stdout).toMatch(new RegExp(`^ *18 +3 +fine-tuned-${hash.slice(0, 8)}\\.safetensors +${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('import refuses a wrong depth or variant with exit 1 and a reason', async () => {
    const source = path.join(root, 'r18.safetensors');
    await writeFile(source, serializeSafetensors(tinyHeadResNet18()));
    const depth = await run('weights', 'import', source, '--depth', '34');
    expect(depth.code).toBe(1);
    expect(depth.stderr).toMatch(/ResNet-18.*ResNet-34/);
    const variant = await run('weights', 'import', source, '--variant', 'V1', '--json');
    expect(variant.code).toBe(1);
    expect(jsonLines(variant.stdout).at(-1)).toMatchObject({ ok: false, error: { code: 'CHECKSUM_MISMATCH' } });
  });
});
