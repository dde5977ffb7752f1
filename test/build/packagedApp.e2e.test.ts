/**
 * The packaged app, as electron-builder lays it out with the project's electron-builder.yml (packed
 * here with a stand-in Electron, build/distCheck.mjs): every run-time file where the packaged code
 * resolves it, natives unpacked, the fuses flipped; then the packed main, preload and trainer process
 * themselves, extracted from app.asar (with app.asar.unpacked), run the self-test — a scan of the
 * bundled sample, a one-epoch run in a utility process and an ONNX export — and the command line.
 * Needs `electron-vite build` first (`npm run test:e2e` does it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript build scripts, run by Node
import { fuseConfigKey, packWithStandInElectron, readFuses } from '../../build/distCheck.mjs';
// @ts-expect-error -- plain JavaScript build scripts, run by Node
import { listArchive, packagedLayoutProblems, packagedSizes } from '../../build/packagedLayout.mjs';
import { runHarness, type CliReport, type SelfTestReport } from './runHarness';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { extractAll(archive: string, dest: string): void };
const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, string | number> };

interface Packed {
  appOutDir: string;
  resourcesDir: string;
  executable: string;
  config: { electronFuses: Record<string, boolean> };
}

let work: string;
let packed: Packed;
let appDir: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'workbench-packaged-'));
  packed = (await packWithStandInElectron({ outputDir: path.join(work, 'dist') })) as Packed;
  // What Electron's asar support shows the app: the archive, with unpacked files read from beside it.
  appDir = path.join(work, 'app');
  asar.extractAll(path.join(packed.resourcesDir, 'app.asar'), appDir);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packaged app (electron-builder.yml, stand-in Electron)', () => {
  it('has every run-time file where the packaged code resolves it, natives unpacked, no build tools', () => {
    expect(packagedLayoutProblems(packed.resourcesDir, { projectDir: process.cwd() })).toEqual([]);
    const files = listArchive(path.join(packed.resourcesDir, 'app.asar')) as Map<string, { unpacked: boolean }>;
    expect(files.get('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node')).toMatchObject({ unpacked: true });
    expect([...files.keys()].some((name) => name.startsWith('node_modules/@tensorflow/tfjs/'))).toBe(false);
  });

  it('flips every fuse as electron-builder.yml says, and the configuration decides every fuse', async () => {
    const everyFuse = Object.keys(FuseV1Options).filter((key) => Number.isNaN(Number(key))).map(fuseConfigKey);
    expect(Object.keys(packed.config.electronFuses).sort()).toEqual([...everyFuse].sort());
    expect(await readFuses(packed.executable)).toEqual(packed.config.electronFuses);
  });

  it('stays under 80 MB (app.asar and app.asar.unpacked)', () => {
    const { asarBytes, unpackedBytes } = packagedSizes(packed.resourcesDir) as { asarBytes: number; unpackedBytes: number };
    expect(asarBytes + unpackedBytes).toBeLessThan(80e6);
  });

  it('runs the self-test from the packaged main, preload and trainer process: scan, one epoch, export', async () => {
    const result = await runHarness<SelfTestReport>(path.join(appDir, 'out'), path.join(work, 'user-data'), ['--self-test']);
    expect(result.printed.at(-1)).toMatch(/^self-test passed: \w+ training, onnxruntime cpu inference, .* 5 classes, \d+ images, 1 epoch, .* exported .*self-test-model\.onnx/);
    expect(result.exitCode).toBe(0);
    expect(result.forks.length).toBeGreaterThanOrEqual(1);
    for (const fork of result.forks) expect(fork.modulePath).toBe(path.join(appDir, 'out/main/trainerProcess.js'));
  }, 300_000);

  it('runs the command line from the packaged code', async () => {
    const info = await runHarness<CliReport>(path.join(appDir, 'out'), path.join(work, 'user-data'), ['info', '--json']);
    expect(info).toMatchObject({ mode: 'cli', exitCode: 0, windows: 0 });
    expect(JSON.parse(info.stdout.trim().split('\n').at(-1)!)).toMatchObject({ versions: { tfjs: '4.22.0' } });
  }, 120_000);
});

describe('the packaged-layout check, on a configuration missing an entry', () => {
  interface Config {
    files: string[];
    asarUnpack: string[];
  }
  const packWithout = async (edit: (config: Config) => Config): Promise<string[]> => {
    const mutated = (await packWithStandInElectron({ outputDir: path.join(work, `dist-${Math.random().toString(36).slice(2)}`), editConfig: edit })) as Packed;
    return packagedLayoutProblems(mutated.resourcesDir, { projectDir: process.cwd() }) as string[];
  };

  it('fails when an asarUnpack entry is removed (the sample, read by sharp, would be packed)', async () => {
    const problems = await packWithout((config) => ({ ...config, asarUnpack: config.asarUnpack.filter((p) => p !== 'resources/sample-fashion/**') }));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^resources\/sample-fashion\/train .* must be unpacked from app\.asar/)]));
  }, 300_000);

  it('fails when a run-time file is removed from files (the resources folder)', async () => {
    const problems = await packWithout((config) => ({ ...config, files: config.files.filter((p) => p !== 'resources/**') }));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^resources\/imagenet-classes\.json .* is not in the package/)]));
  }, 300_000);
});
