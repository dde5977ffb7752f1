import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/node/engine/backend';
import { exportRun } from '../../../src-main/node/export/exportRun';
import { classifierModel, classifyWithModel, loadModelForPrediction } from '../../../src-main/node/export/loadModel';
import { loadRunModel } from '../../../src-main/node/export/loadRunModel';
import { readOnnxModel } from '../../../src-main/node/export/onnxExport';
import { loadEvalImage } from '../../../src-main/node/dataset/transforms';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { extractStateDict } from '../../../src-main/node/weights/torchvisionWeights';
import { makeTinyRun, testImages } from './tinyRun';

let work: string;
let run: RunReport;
let files: string[];
/** The workbench's own logits for the test images. */
let ours: number[][];

/** NCHW batch of the test images, preprocessed as the run did. */
async function nchwBatch(paths: string[], side: number): Promise<Float32Array> {
  const out = new Float32Array(paths.length * 3 * side * side);
  for (const [n, file] of paths.entries()) {
    const hwc = await loadEvalImage(file, { size: side, crop: 0.875, normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } });
    for (let p = 0; p < side * side; p++) for (let c = 0; c < 3; c++) out[((n * 3 + c) * side * side) + p] = hwc[p * 3 + c] as number;
  }
  return out;
}

const argmax = (row: ArrayLike<number>): number => Array.from(row).indexOf(Math.max(...Array.from(row)));

describe('ONNX export, checked by ONNX Runtime', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-onnx-'));
    run = await makeTinyRun(work);
    files = await testImages(work);
    // The workbench's tfjs engine: the export is checked against an engine other than the one that reads it.
    ours = [];
    for await (const p of classifyWithModel(await loadRunModel(run.folder), files, { topK: 1, inference: { engine: 'tfjs' } })) if ('logits' in p) ours.push(p.logits);
  }, 120_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('runs in ONNX Runtime with a dynamic batch and agrees with the workbench (top-1 and logits)', async () => {
    const out = path.join(work, 'model.onnx');
    const result = await exportRun({ run: run.folder, format: 'onnx', out });
    expect(result.card).toBe(`${out}.md`);
    const session = await ort.InferenceSession.create(out);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logits']);
    const batch = await nchwBatch(files, 32);
    const { logits } = await session.run({ input: new ort.Tensor('float32', batch, [files.length, 3, 32, 32]) });
    expect(logits!.dims).toEqual([files.length, 3]);
    const values = logits!.data as Float32Array;
    let agree = 0;
    let worst = 0;
    ours.forEach((row, n) => {
      const theirs = values.subarray(n * 3, n * 3 + 3);
      if (argmax(theirs) === argmax(row)) agree++;
      const scale = Math.max(...row.map(Math.abs), 1);
      row.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (theirs[i] as number)) / scale)));
    });
    expect(agree / files.length).toBeGreaterThanOrEqual(0.995);
    expect(worst).toBeLessThan(1e-4);
    // Batch of one: the batch dimension really is dynamic.
    const single = await session.run({ input: new ort.Tensor('float32', batch.subarray(0, 3 * 32 * 32), [1, 3, 32, 32]) });
    const one = single.logits!.data as Float32Array;
    expect(Math.max(...Array.from(one, (v, i) => Math.abs(v - (values[i] as number))))).toBeLessThan(1e-4);
    await session.release();
  });

  it('carries the metadata and reads back as the exact state dict', async () => {
    const { dict, metadata } = await readOnnxModel(path.join(work, 'model.onnx'));
    expect(metadata).toMatchObject({ labels: ['blue', 'green', 'red'], depth: 18, imageSize: 32, crop: 0.875, runId: run.runId });
    const model = classifierModel(await loadRunModel(run.folder));
    const expected = extractStateDict(model, 18);
    model.dispose();
    for (const [key, t] of expected) {
      if (key.endsWith('num_batches_tracked')) continue;
      const got = dict.get(key)!.data as Float32Array;
      const want = t.data as Float32Array;
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), key).toBe(true);
    }
    const fromOnnx = await loadModelForPrediction(path.join(work, 'model.onnx'));
    expect(fromOnnx.classes).toEqual(['blue', 'green', 'red']);
    const bytes = await readFile(path.join(work, 'model.onnx'));
    expect(bytes.includes(Buffer.from('resnet-workbench/export-v1'))).toBe(true);
  });
});
