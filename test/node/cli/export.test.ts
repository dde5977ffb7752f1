import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torchvisionStateDictLayout } from '../../../src-main/common/resnetSpec';
import { initBackend } from '../../../src-main/node/engine/backend';
import { classifierModel } from '../../../src-main/node/export/loadModel';
import { loadRunModel } from '../../../src-main/node/export/loadRunModel';
import { readCheckpointWithMetadata } from '../../../src-main/node/weights/checkpointFile';
import type { StateDict } from '../../../src-main/node/weights/stateDict';
import { extractStateDict } from '../../../src-main/node/weights/torchvisionWeights';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { makeTinyRun } from '../export/tinyRun';
import { runCliJson } from '../../support/runCliInProcess';

const cli = runCliJson;

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
    const model = classifierModel(await loadRunModel(run.folder));
    expected = extractStateDict(model, 18);
    model.dispose();
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
    expect(card).toContain(`${(run.testAccuracy! * 100).toFixed(2)} %`);
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
    expect(refused.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', message: expect.stringContaining('Add --force to replace it') } });
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

  describe('predict --model', () => {
    type Line = { file: string; top: { label: string; probability: number }[] };
    const perImage = (lines: Record<string, unknown>[]): Line[] => lines.filter((l) => 'top' in l) as Line[];

    it('classifies a folder with the run, and agrees exactly with its pth and safetensors exports', async () => {
      const byRun = await cli('predict', '--model', run.folder, '--json', path.join(work, 'test'));
      expect(byRun.code, byRun.stderr).toBe(0);
      const runLines = perImage(byRun.lines);
      expect(runLines).toHaveLength(12);
      expect(Object.keys(runLines[0]!).sort()).toEqual(['file', 'top']);
      expect(Object.keys(runLines[0]!.top[0]!).sort()).toEqual(['label', 'probability']);
      // The run's own predictions reproduce its reported accuracy.
      const correct = runLines.filter((l) => l.top[0]!.label === path.basename(path.dirname(l.file))).length;
      expect(correct / runLines.length).toBeCloseTo(run.testAccuracy!, 10);
      expect(byRun.lines.at(-1)).toMatchObject({ images: 12, failed: 0, depth: 18, classes: 3 });
      for (const file of ['model.pth', 'model.safetensors']) {
        const r = await cli('predict', '--model', path.join(work, file), '--json', path.join(work, 'test'));
        expect(r.code, r.stderr).toBe(0);
        expect(perImage(r.lines)).toEqual(runLines);
      }
    });

    it('writes a CSV of file, rank, label, probability', async () => {
      const csv = path.join(work, 'predictions.csv');
      const r = await cli('predict', '--model', path.join(work, 'model.safetensors'), '--csv', csv, '--top-k', '2', path.join(work, 'test', 'red'));
      expect(r.code, r.stderr).toBe(0);
      const rows = (await readFile(csv, 'utf8')).trim().split('\n');
      expect(rows[0]).toBe('file,rank,label,probability');
      expect(rows).toHaveLength(1 + 4 * 2);
      const [file, rank, label, probability] = rows[1]!.split(',');
      expect(file).toBe(path.join(work, 'test', 'red', '0.png'));
      expect(rank).toBe('1');
      expect(['blue', 'green', 'red']).toContain(label);
      expect(Number(probability)).toBeGreaterThan(0.3);
    });

    it('refuses a bare .pth without its card, and --model together with --weights', async () => {
      const bare = path.join(work, 'bare.pth');
      await writeFile(bare, await readFile(path.join(work, 'model.pth')));
      const r = await cli('predict', '--model', bare, '--json', path.join(work, 'test'));
      expect(r.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('--weights') } });
      const both = await cli('predict', '--model', bare, '--weights', bare, path.join(work, 'test'));
      expect(both.code).toBe(2);
    });
  });
});
