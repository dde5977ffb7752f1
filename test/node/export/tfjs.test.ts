import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '../../../src-main/node/engine/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torchvisionStateDictLayout } from '../../../src-main/common/resnetSpec';
import { initBackend } from '../../../src-main/node/engine/backend';
import { IMAGENET_NORMALIZATION } from '../../../src-main/common/normalization';
import { loadEvalImage } from '../../../src-main/node/dataset/transforms';
import { exportRun } from '../../../src-main/node/export/exportRun';
import { classifyWithModel, loadModelForPrediction } from '../../../src-main/node/export/loadModel';
import { loadRunModel, type LoadedModel } from '../../../src-main/node/export/loadRunModel';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { makeTinyRun, testImages } from './tinyRun';

const execFileAsync = promisify(execFile);

let work: string;
let run: RunReport;
let files: string[];
let ours: number[][];

/** The workbench's own logits, on its tfjs engine (what a tfjs export must reproduce). */
async function logitsOf(loaded: LoadedModel): Promise<number[][]> {
  const rows: number[][] = [];
  for await (const p of classifyWithModel(loaded, files, { topK: 1, inference: { engine: 'tfjs' } })) if ('logits' in p) rows.push(p.logits);
  return rows;
}

/** A plain tfjs model's logits on the same preprocessed images. */
async function tfjsLogits(model: tf.LayersModel): Promise<number[][]> {
  const rows: number[][] = [];
  for (const file of files) {
    const pixels = await loadEvalImage(file, { size: 32, crop: 0.875, normalization: IMAGENET_NORMALIZATION });
    const out = tf.tidy(() => model.predict(tf.tensor4d(pixels, [1, 32, 32, 3])) as tf.Tensor);
    rows.push(Array.from(await out.data()));
    out.dispose();
  }
  return rows;
}

const argmax = (row: readonly number[]): number => row.indexOf(Math.max(...row));

describe('tfjs export, loaded back by TensorFlow.js', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-tfjs-'));
    run = await makeTinyRun(work);
    files = await testImages(work);
    ours = await logitsOf(await loadRunModel(run.folder));
  }, 120_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes model.json, shards and a model card; tf.loadLayersModel through a plain IOHandler predicts as the workbench does', async () => {
    const out = path.join(work, 'model-tfjs');
    const result = await exportRun({ run: run.folder, format: 'tfjs', out });
    expect(result.card).toBe(path.join(out, 'README.md'));
    const names = await readdir(out);
    const shardNames = names.filter((n) => n.endsWith('.bin'));
    // Every float32 value of torchvision's resnet18(num_classes=3), in 4 MiB shards.
    const floats = torchvisionStateDictLayout(18, 3).filter((e) => !e.key.endsWith('num_batches_tracked')).reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
    expect(shardNames.length).toBe(Math.ceil((floats * 4) / (4 * 1024 * 1024)));
    expect(names.sort()).toEqual(['README.md', ...shardNames.sort(), 'model.json'].sort());
    expect((await readdir(work)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const json = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(json.format).toBe('layers-model');
    expect(json.userDefinedMetadata).toMatchObject({ labels: '["blue","green","red"]', imageSize: '32', depth: '18', runId: run.runId });
    // An IOHandler written here, independent of the export code's reader.
    const shards = await Promise.all(json.weightsManifest[0]!.paths.map((p) => readFile(path.join(out, p))));
    const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
    const handler: tf.io.IOHandler = { load: async () => ({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData }) };
    const model = await tf.loadLayersModel(handler);
    try {
      expect(model.inputs[0]!.shape.at(-1)).toBe(3); // NHWC
      const theirs = await tfjsLogits(model);
      const agree = theirs.filter((row, n) => argmax(row) === argmax(ours[n]!)).length / files.length;
      expect(agree).toBeGreaterThanOrEqual(0.995);
      const worst = Math.max(...theirs.flatMap((row, n) => row.map((v, i) => Math.abs(v - ours[n]![i]!))));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
    const viaPredict = await loadModelForPrediction(out);
    expect(viaPredict.classes).toEqual(['blue', 'green', 'red']);
    expect(viaPredict.metadata.imageSize).toBe(32);
  });

  it('replaces an earlier export only with force, and never a folder that is not an export', async () => {
    const out = path.join(work, 'model-tfjs');
    await expect(exportRun({ run: run.folder, format: 'tfjs', out })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await writeFile(path.join(out, 'stale.txt'), 'from before');
    await exportRun({ run: run.folder, format: 'tfjs', out, force: true });
    expect(await readdir(out)).not.toContain('stale.txt');
    const photos = path.join(work, 'photos');
    await mkdir(photos);
    await writeFile(path.join(photos, 'holiday.jpg'), 'precious');
    await expect(exportRun({ run: run.folder, format: 'tfjs', out: photos, force: true })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await readFile(path.join(photos, 'holiday.jpg'), 'utf8')).toBe('precious');
  });

  it("the model card's JavaScript snippet runs as written in plain Node and agrees with the workbench", async () => {
    const out = path.join(work, 'model-tfjs');
    const card = await readFile(path.join(out, 'README.md'), 'utf8');
    const snippet = /```js\n([\s\S]*?)\n```/.exec(card)![1]!;
    // The snippet leaves decoding to the reader; this harness resizes with sharp as the card says.
    const harness = `
import sharp from 'sharp';
for (const file of process.argv.slice(2)) {
  const { data } = await sharp(file).resize(37, 37, { kernel: 'linear' }).extract({ left: 2, top: 2, width: 32, height: 32 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  console.log(JSON.stringify({ file, top: classify(new Uint8Array(data)) }));
}`;
    // Resolve '@tensorflow/tfjs' and 'sharp' from this repository's node_modules.
    await symlink(path.resolve('node_modules'), path.join(work, 'node_modules'), 'dir');
    const script = path.join(work, 'card-snippet.mjs');
    await writeFile(script, `${snippet}\n${harness}\n`);
    const { stdout } = await execFileAsync(process.execPath, [script, ...files], { cwd: work, maxBuffer: 1 << 24 });
    const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { file: string; top: { label: string }[] });
    expect(lines.map((l) => l.file)).toEqual(files);
    const labels = ['blue', 'green', 'red'];
    const agree = lines.filter((l, n) => l.top[0]!.label === labels[argmax(ours[n]!)]).length / files.length;
    expect(agree).toBeGreaterThanOrEqual(0.995);
  }, 60_000);
});
