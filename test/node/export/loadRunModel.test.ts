import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkbenchError } from '../../../src-main/common/errors';
import { initBackend } from '../../../src-main/node/engine/backend';
import { classifierModel, classifyWithModel } from '../../../src-main/node/export/loadModel';
import { loadRunModel, type LoadedModel } from '../../../src-main/node/export/loadRunModel';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { checkpointPath, loadState, saveState } from '../../../src-main/node/train/runFolder';
import { fullModelMetadata } from '../../../src-main/node/train/fineTuneCheckpoint';
import { extractStateDict } from '../../../src-main/node/weights/torchvisionWeights';
import { makeTinyRun, testImages } from './tinyRun';

let work: string;
let run: RunReport;

async function topLabels(loaded: LoadedModel): Promise<string[]> {
  const labels: string[] = [];
  for await (const p of classifyWithModel(loaded, await testImages(work), { topK: 1 })) {
    if ('error' in p) throw new Error(p.error.message);
    labels.push(p.top[0]!.label);
  }
  return labels;
}

describe('loadRunModel', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-load-run-'));
    run = await makeTinyRun(work);
  }, 120_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('rebuilds a linear run: seeded backbone plus the trained head, reproducing the run\'s own test accuracy', async () => {
    const loaded = await loadRunModel(run.folder);
    {
      expect(loaded).toMatchObject({ classes: ['blue', 'green', 'red'], depth: 18, imageSize: 32, crop: 0.875, mean: [0.485, 0.456, 0.406] });
      expect(loaded.metadata).toMatchObject({ mode: 'linear', sourceWeights: 'none', runId: run.runId, metrics: { accuracy: run.testAccuracy, evalSplit: 'test' } });
      expect(loaded.metadata.datasetFingerprint).toMatch(/^[0-9a-f]{64}$/);
      const predicted = await topLabels(loaded);
      const actual = (await testImages(work)).map((f) => path.basename(path.dirname(f)));
      const accuracy = predicted.filter((p, i) => p === actual[i]).length / actual.length;
      // The report's accuracy came from cached features and the head: the rebuilt model must agree.
      expect(accuracy).toBeCloseTo(run.testAccuracy, 10);
      const fc = loaded.dict.get('fc.bias')!.data as Float32Array;
      const head = (await loadState(checkpointPath(run.folder, 'best')))!.tensors.get('fc.bias')!.data as Float32Array;
      expect(Array.from(fc)).toEqual(Array.from(head));
    }
  });

  it('opens a run by id under the runs folder', async () => {
    const loaded = await loadRunModel(run.runId, { runsRoot: path.join(work, 'runs') });
    expect(loaded.metadata.runId).toBe(run.runId);
  });

  it('rebuilds a fine-tune run from its full state dict', async () => {
    const linear = await loadRunModel(run.folder);
    const folder = path.join(work, 'finetuned');
    {
      // A fine-tune run's folder: its config says finetune, best.safetensors is a whole (changed) model.
      const model = classifierModel(linear);
      const dict = extractStateDict(model, 18);
      model.dispose();
      const original = linear.dict.get('layer4.1.conv2.weight')!.data as Float32Array;
      const conv = dict.get('layer4.1.conv2.weight')!.data as Float32Array;
      conv.forEach((v, i) => (conv[i] = v * 1.5));
      const config = JSON.parse(await readFile(path.join(run.folder, 'config.json'), 'utf8')) as { config: Record<string, unknown> };
      config.config.mode = 'finetune';
      await rm(folder, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(folder));
      await writeFile(path.join(folder, 'config.json'), JSON.stringify(config));
      await saveState(checkpointPath(folder, 'best'), { tensors: dict, metadata: fullModelMetadata(linear.classes, 2) });
      const loaded = await loadRunModel(folder);
      expect(loaded.metadata.mode).toBe('finetune');
      const got = loaded.dict.get('layer4.1.conv2.weight')!.data as Float32Array;
      expect(got.reduce((worst, v, i) => Math.max(worst, Math.abs(v - original[i]! * 1.5)), 0)).toBeLessThan(1e-6);
    }
  });

  it('names what is missing: the run, its best checkpoint, its starting weights', async () => {
    const missing = await loadRunModel(path.join(work, 'nope'), { runsRoot: path.join(work, 'runs') }).catch((e: unknown) => e as WorkbenchError);
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('No run found') });

    const noBest = path.join(work, 'no-best');
    await import('node:fs/promises').then((fs) => fs.mkdir(noBest));
    await writeFile(path.join(noBest, 'config.json'), await readFile(path.join(run.folder, 'config.json')));
    expect(await loadRunModel(noBest).catch((e: unknown) => e)).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('best.safetensors') });

    // A run whose backbone was an ImageNet file that is no longer in the weights folder.
    const gone = path.join(work, 'gone-weights');
    await import('node:fs/promises').then((fs) => fs.mkdir(gone));
    const config = JSON.parse(await readFile(path.join(run.folder, 'config.json'), 'utf8')) as { facts: Record<string, unknown> };
    config.facts.weightsSource = 'imagenet:resnet18-f37072fd.pth';
    await writeFile(path.join(gone, 'config.json'), JSON.stringify(config));
    await writeFile(checkpointPath(gone, 'best'), await readFile(checkpointPath(run.folder, 'best')));
    const weightsDir = path.join(work, 'weights');
    const error = (await loadRunModel(gone, { weightsFolder: weightsDir }).catch((e: unknown) => e)) as WorkbenchError;
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(path.join(weightsDir, 'resnet18-f37072fd.pth'));
  });
});
