/**
 * A fine-tune run of ResNet-18 (layer4 and the head, 64 px) against PyTorch: two SGD steps from the
 * formula weights must move every checked parameter as torchvision's do
 * (test/fixtures/reference/finetune_step.json, from test/reference/make_finetune_reference.py), on
 * the wasm backend with the frozen prefix split off, on wasm without the split, and on the pure-JS
 * cpu backend (the old path).
 */
import { readFileSync } from 'node:fs';
import * as tf from '../../../src-main/node/engine/tf';
import { afterAll, describe, expect, it } from 'vitest';
import type { Batch, BatchLoader } from '../../../src-main/node/dataset/batchLoader';
import { initBackend, type BackendName } from '../../../src-main/node/engine/backend';
import { buildResNet } from '../../../src-main/node/engine/resnet';
import { fineTune } from '../../../src-main/node/train/fineTuner';
import { fineTuneNetwork } from '../../../src-main/node/train/splitNetwork';
import type { StateDict } from '../../../src-main/node/weights/stateDict';
import { extractStateDict, loadStateDictIntoModel } from '../../../src-main/node/weights/torchvisionWeights';
import { formulaImages, formulaStateDict } from '../../support/formulaWeights';

interface Reference {
  numClasses: number;
  imageSize: number;
  batch: number;
  steps: number;
  lr: number;
  backboneLrScale: number;
  momentum: number;
  losses: number[];
  changes: Record<string, { stride: number; sampled: number[]; absSum: number }>;
}

const reference = JSON.parse(readFileSync(new URL('../../fixtures/reference/finetune_step.json', import.meta.url), 'utf8')) as Reference;

/** The reference's batches: image n of the formula set, label (step · batch + i) mod classes. */
function referenceLoader(): BatchLoader {
  const { batch, steps, imageSize: size, numClasses } = reference;
  const all = formulaImages(batch * steps, size);
  const perImage = size * size * 3;
  return {
    batchesPerEpoch: steps,
    async *epoch(epoch: number): AsyncGenerator<Batch, void, undefined> {
      for (let index = 0; index < steps; index++) {
        yield {
          images: all.subarray(index * batch * perImage, (index + 1) * batch * perImage),
          labels: Int32Array.from({ length: batch }, (_, i) => (index * batch + i) % numClasses),
          count: batch,
          size,
          paths: [],
          epoch,
          index,
        };
      }
    },
    stats: () => ({ maxQueuedBatches: 0, decodesStarted: 0, skippedFiles: 0, transformThreads: 0, reusedBatches: 0 }),
    recycle: () => {},
    close: async () => {},
  };
}

const emptyLoader = (): BatchLoader => ({ ...referenceLoader(), batchesPerEpoch: 0, epoch: async function* () {} });

async function fineTuneLikeReference(backend: BackendName, split: boolean): Promise<{ losses: number[]; before: StateDict; after: StateDict; leaked: number }> {
  const info = await initBackend({ candidates: [backend], requireConvGradients: true });
  expect(info.backend).toBe(backend);
  const tensorsBefore = tf.memory().numTensors;
  const model = buildResNet(18, reference.numClasses);
  const network = await fineTuneNetwork(model, 18, 'layer4', { split });
  const losses: number[] = [];
  let before: StateDict;
  let after: StateDict;
  try {
    loadStateDictIntoModel(model, formulaStateDict(18, reference.numClasses), { includeHead: true });
    before = extractStateDict(model, 18);
    expect(network.prefix === null).toBe(!split);
    await fineTune(network, referenceLoader(), emptyLoader(), {
      numClasses: reference.numClasses,
      epochs: 1,
      lr: reference.lr,
      backboneLrScale: reference.backboneLrScale,
      schedule: 'constant',
      optimizer: { name: 'sgd', momentum: reference.momentum, weightDecay: 0 },
      unfreeze: 'layer4',
      onBatch: (e) => losses.push(e.loss),
    });
    // The trained weights are the full model's: the split shares its layers.
    after = extractStateDict(model, 18);
  } finally {
    await network.dispose();
    model.dispose();
  }
  return { losses, before, after, leaked: tf.memory().numTensors - tensorsBefore };
}

function expectLikeReference({ losses, before, after, leaked }: Awaited<ReturnType<typeof fineTuneLikeReference>>): void {
  expect(leaked).toBe(0);
  losses.forEach((loss, i) => expect(Math.abs(loss - (reference.losses[i] as number))).toBeLessThan(1e-4 * Math.abs(reference.losses[i] as number)));
  for (const [key, expected] of Object.entries(reference.changes)) {
    const a = after.get(key)!.data as Float32Array;
    const b = before.get(key)!.data as Float32Array;
    const delta = Array.from(a, (v, i) => v - (b[i] as number));
    const scale = Math.max(...expected.sampled.map(Math.abs));
    expected.sampled.forEach((v, j) => expect(Math.abs((delta[j * expected.stride] as number) - v), `${key}[${j * expected.stride}]`).toBeLessThan(2e-3 * scale + 1e-9));
    const absSum = delta.reduce((s, v) => s + Math.abs(v), 0);
    expect(Math.abs(absSum - expected.absSum) / expected.absSum, `${key}: sum of |change|`).toBeLessThan(2e-3);
  }
  // Frozen parameters and every running statistic stay exactly as loaded.
  for (const key of ['conv1.weight', 'bn1.weight', 'layer3.1.conv2.weight', 'layer3.1.bn2.bias', 'layer4.0.bn1.running_mean', 'layer4.1.bn2.running_var']) {
    expect(Array.from(after.get(key)!.data as Float32Array), key).toEqual(Array.from(before.get(key)!.data as Float32Array));
  }
}

describe('fine-tuning layer4 of ResNet-18 matches PyTorch', () => {
  afterAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
  });

  it('on wasm, the frozen prefix run forward-only apart from the trained stages', async () => {
    expectLikeReference(await fineTuneLikeReference('wasm', true));
  });

  it('on wasm, the whole network under the gradient tape', async () => {
    expectLikeReference(await fineTuneLikeReference('wasm', false));
  });

  it('on the pure-JS cpu backend, whole network (the path before wasm could train)', async () => {
    expectLikeReference(await fineTuneLikeReference('cpu', false));
  });
});
