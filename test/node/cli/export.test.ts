import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torchvisionStateDictLayout } from '../../../src-main/common/resnetSpec';
import { runCli } from '../../../src-main/node/cli/main';
import { initBackend } from '../../../src-main/node/engine/backend';
import { loadRunModel } from '../../../src-main/node/export/loadRunModel';
import { readCheckpointWithMetadata } from '../../../src-main/node/weights/checkpointFile';
import type { StateDict } from '../../../src-main/node/weights/stateDict';
import { extractStateDict } from '../../../src-main/node/weights/torchvisionWeights';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { makeTinyRun } from '../export/tinyRun';

async function cli(...args: string[]): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(['node', 'resnet-workbench', ...args], { streams: { stdout, stderr } });
  return { code, lines: out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>), stderr: err };
}

let work: string;
let run: RunReport;
let expected: StateDict;

/** Same names, shapes, dtypes and bytes; safetensors files keep their own key order. */
function sameTensors(a: StateDict, b: StateDict): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [key, t] of a) {
    const u = b.get(key)!;
    expect(u.shape, key).toEqual(t.shape);
    expect(u.dtype, key).toBe(t.dtype);
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), key).toBe(true);
  }
}

describe('export (pth, safetensors)', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-export-'));
    run = await makeTinyRun(work);
    const loaded = await loadRunModel(run.folder);
    expected = extractStateDict(loaded.model, 18);
    loaded.model.dispose();
  }, 120_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes torchvision resnet18(num_classes=3) as a zip .pth, every key in order, with a model card', async () => {
    const out = path.join(work, 'model.pth');
    const r = await cli('export', '--run', run.folder, '--format', 'pth', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.at(-1)).toMatchObject({ format: 'pth', path: out, card: `${out}.md`, classes: ['blue', 'green', 'red'], depth: 18 });
    const read = await readCheckpointWithMetadata(out);
    expect(read.format).toBe('pth');
    expect([...read.tensors.keys()]).toEqual(torchvisionStateDictLayout(18, 3).map((e) => e.key));
    sameTensors(expected, read.tensors);
    const card = await readFile(`${out}.md`, 'utf8');
    expect(card).toContain('torchvision.models.resnet18(num_classes=3)');
    expect(card).toContain('T.Resize(round(32 / 0.875)), T.CenterCrop(32)');
    expect(card).toContain(`${(run.testAccuracy * 100).toFixed(2)} %`);
  });

  it('writes the same tensors as safetensors, with the metadata in __metadata__', async () => {
    const out = path.join(work, 'model.safetensors');
    const r = await cli('export', '--run', run.folder, '--format', 'safetensors', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const read = await readCheckpointWithMetadata(out);
    sameTensors(expected, read.tensors);
    expect(read.metadata).toMatchObject({
      format: 'resnet-workbench/export-v1',
      labels: '["blue","green","red"]',
      depth: '18',
      imageSize: '32',
      crop: '0.875',
      mean: '[0.485,0.456,0.406]',
      std: '[0.229,0.224,0.225]',
      sourceWeights: 'none',
      runId: run.runId,
    });
    expect(read.metadata.datasetFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(read.metadata.metrics!)).toMatchObject({ accuracy: run.testAccuracy, evalSplit: 'test', bestEpoch: run.bestEpoch, epochsRun: 3 });
  });

  it('refuses an existing path without --force and replaces it with --force', async () => {
    const out = path.join(work, 'existing.pth');
    await writeFile(out, 'keep me');
    const refused = await cli('export', '--run', run.folder, '--format', 'pth', '--out', out, '--json');
    expect(refused.code).toBe(1);
    expect(refused.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS' } });
    expect(await readFile(out, 'utf8')).toBe('keep me');
    const forced = await cli('export', '--run', run.folder, '--format', 'pth', '--out', out, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    sameTensors(expected, (await readCheckpointWithMetadata(out)).tensors);
  });

  it('fails clearly on a destination it cannot write, leaving nothing behind', async () => {
    // root ignores folder permissions, so use a path below a file (ENOTDIR) there; else a read-only folder.
    const blocker = path.join(work, 'a-file');
    await writeFile(blocker, '');
    const out = path.join(blocker, 'model.safetensors');
    const r = await cli('export', '--run', run.folder, '--format', 'safetensors', '--out', out, '--json');
    expect(r.code).toBe(1);
    expect(r.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'IO', message: expect.stringContaining(out) } });
    const names = await readdir(work);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses an unknown format and a missing run', async () => {
    const bad = await cli('export', '--run', run.folder, '--format', 'keras', '--out', path.join(work, 'x.h5'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/keras.*tfjs, onnx, pth, safetensors/);
    const missing = await cli('export', '--run', path.join(work, 'no-such-run'), '--format', 'pth', '--out', path.join(work, 'y.pth'), '--json');
    expect(missing.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(existsSync(path.join(work, 'y.pth'))).toBe(false);
  });
});
