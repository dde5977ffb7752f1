/**
 * Offline-ready installers: the release workflow's fetch step (build/fetchBundledWeights.ts, the
 * engine's own download with its SHA-256 check) against a torchvision ResNet-18 checkpoint written by
 * Debian's PyTorch and served from 127.0.0.1; then the engine finds the fetched file as the app's
 * bundled weights, before the network, and reads it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src-main/node/weights/checkpointFile';
import { ensureWeights, listWeights } from '../../src-main/node/weights/weightsStore';
import { startHttpFixtureServer, type HttpFixtureServer } from '../support/httpFixtureServer';

const PYTHON = '/usr/bin/python3';
const FILE_NAME = 'resnet18-f37072fd.pth';
const tsxCli = path.resolve('node_modules/tsx/dist/cli.mjs');

let work: string;
let checkpoint: Uint8Array;
let sha256: string;
let server: HttpFixtureServer;

/** Runs the fetch step as the release workflow does; resolves to its exit code and output. */
async function fetchStep(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsxCli, 'build/fetchBundledWeights.ts', ...args], { encoding: 'utf8' });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'bundled-weights-reference-'));
  const file = path.join(work, 'torch-resnet18.pth');
  const script = 'import sys, torch, torchvision\ntorch.manual_seed(0)\ntorch.save(torchvision.models.resnet18(weights=None).state_dict(), sys.argv[1])\n';
  const written = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  if (written.error || written.status !== 0) {
    throw new Error(`These tests need PyTorch at ${PYTHON} (apt-get install python3-torch python3-torchvision): ${written.error?.message ?? written.stderr.trim()}`);
  }
  checkpoint = new Uint8Array(await readFile(file));
  sha256 = createHash('sha256').update(checkpoint).digest('hex');
  server = await startHttpFixtureServer({ [`/models/${FILE_NAME}`]: checkpoint });
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('bundled ImageNet weights', () => {
  it('the packaging step fetches the checkpoint with its SHA-256 checked, and refuses other bytes', async () => {
    const wrongOut = path.join(work, 'wrong');
    const wrong = await fetchStep(['--depth', '18', '--base-url', server.url('/models'), '--sha256', 'ab'.repeat(32), '--out', wrongOut]);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toMatch(/fetchBundledWeights: .*SHA-256/);
    await expect(stat(path.join(wrongOut, FILE_NAME))).rejects.toThrow(/ENOENT/);

    const out = path.join(work, 'bundled');
    const fetched = await fetchStep(['--depth', '18', '--base-url', server.url('/models'), '--sha256', sha256, '--out', out]);
    expect(fetched.output).toContain(`SHA-256 ${sha256}`);
    expect(fetched.code).toBe(0);
    expect(Buffer.compare(await readFile(path.join(out, FILE_NAME)), checkpoint)).toBe(0);
    // Run again (a re-run of the workflow step): checked, not fetched.
    const requests = server.requests.length;
    expect((await fetchStep(['--base-url', server.url('/models'), '--sha256', sha256, '--out', out])).output).toContain('already in');
    expect(server.requests.length).toBe(requests);
  }, 120_000);

  it('the engine finds the fetched file as bundled, before the network, and reads PyTorch’s checkpoint', async () => {
    const bundledFolder = path.join(work, 'bundled');
    const folder = path.join(work, 'empty-data/weights');
    const entry = (await listWeights({ folder, bundledFolder })).find((w) => w.depth === 18 && w.variant === 'IMAGENET1K_V1');
    expect(entry).toMatchObject({ present: true, bundled: true, path: path.join(bundledFolder, FILE_NAME), bytes: checkpoint.length });
    const noNetwork = (() => Promise.reject(new Error('offline'))) as typeof fetch;
    const ensured = await ensureWeights(18, 'IMAGENET1K_V1', { folder, bundledFolder, fetchImpl: noNetwork });
    expect(ensured).toMatchObject({ path: path.join(bundledFolder, FILE_NAME), downloaded: false });
    const stateDict = await readCheckpoint(ensured.path);
    expect(stateDict.get('fc.weight')?.shape).toEqual([1000, 512]);
    expect(stateDict.get('conv1.weight')?.shape).toEqual([64, 3, 7, 7]);
  }, 120_000);
});
