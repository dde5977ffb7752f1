import * as tf from '../../../src-main/node/engine/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { createRng } from '../../../src-main/node/dataset/random';
import { initBackend } from '../../../src-main/node/engine/backend';
import { featuresInMemory, trainHead, type FeatureSet, type HeadTrainingOptions, type HeadTrainingState } from '../../../src-main/node/train/headTrainer';

/** Three Gaussian clusters in 16 dimensions: linearly separable, as good features are. */
function clusterValues(perClass: number, seed: number, spread = 0.6): { features: Float32Array; labels: Int32Array; channels: number } {
  const rng = createRng(seed);
  const random = (): number => rng.next();
  const channels = 16;
  const classes = 3;
  const features = new Float32Array(perClass * classes * channels);
  const labels = new Int32Array(perClass * classes);
  for (let i = 0; i < perClass * classes; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let j = 0; j < channels; j++) {
      const centre = j % classes === c ? 2 : 0;
      const noise = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
      features[i * channels + j] = centre + spread * noise;
    }
  }
  return { features, labels, channels };
}

function clusters(perClass: number, seed: number, spread = 0.6): FeatureSet {
  const { features, labels, channels } = clusterValues(perClass, seed, spread);
  return featuresInMemory(features, labels, channels);
}

const base: HeadTrainingOptions = {
  numClasses: 3,
  epochs: 5,
  batchSize: 16,
  lr: 1e-2,
  schedule: 'constant',
  optimizer: { name: 'adam' },
  seed: 7,
};

describe('head training on cached features', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['cpu'] });
  });

  it('learns separable classes, reports every batch and epoch, and frees its tensors', async () => {
    const train = clusters(40, 1);
    const val = clusters(20, 2);
    const before = tf.memory().numTensors;
    const batches: number[] = [];
    const epochs: number[] = [];
    const result = await trainHead(train, val, { ...base, onBatch: (e) => batches.push(e.loss), onEpoch: (e, logits) => {
      epochs.push(e.epoch);
      expect(logits).toHaveLength(60 * 3);
    } });
    expect(tf.memory().numTensors).toBe(before);
    expect(batches).toHaveLength(5 * Math.ceil(120 / 16));
    expect(epochs).toEqual([1, 2, 3, 4, 5]);
    const last = result.history.at(-1)!;
    expect(last.valAccuracy).toBeGreaterThan(0.95);
    expect(last.trainLoss).toBeLessThan(result.history[0]!.trainLoss);
    expect(result.best.kernel).toHaveLength(16 * 3);
  });

  it('is reproducible for a seed and differs for another', async () => {
    const train = clusters(30, 3);
    const a = await trainHead(train, undefined, base);
    const b = await trainHead(train, undefined, base);
    const c = await trainHead(train, undefined, { ...base, seed: 8 });
    expect(Array.from(a.last.kernel)).toEqual(Array.from(b.last.kernel));
    expect(Array.from(a.last.kernel)).not.toEqual(Array.from(c.last.kernel));
  });

  it('resumes from a saved state and ends exactly where an uninterrupted run ends', async () => {
    const train = clusters(30, 9);
    const val = clusters(10, 10);
    const straight = await trainHead(train, val, { ...base, schedule: 'cosine' });
    const saved: HeadTrainingState[] = [];
    const controller = new AbortController();
    const interrupted = await trainHead(train, val, {
      ...base,
      schedule: 'cosine',
      signal: controller.signal,
      onEpoch: (_e, _logits, state) => {
        saved.push(state);
        if (state.epoch === 2) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((interrupted as WorkbenchError).code).toBe('CANCELLED');
    const resumed = await trainHead(train, val, { ...base, schedule: 'cosine', resume: saved[1] });
    expect(Array.from(resumed.last.kernel)).toEqual(Array.from(straight.last.kernel));
    expect(resumed.history.map((h) => h.trainLoss)).toEqual(straight.history.map((h) => h.trainLoss));
    expect(resumed.bestEpoch).toBe(straight.bestEpoch);
  });

  it('keeps the best epoch and stops early when validation stops improving', async () => {
    const train = clusters(30, 4, 3);
    const val = clusters(10, 5, 3);
    const result = await trainHead(train, val, { ...base, epochs: 30, lr: 0.5, patience: 2 });
    const accuracies = result.history.map((h) => h.valAccuracy as number);
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.length).toBeLessThan(30);
    expect(accuracies[result.bestEpoch - 1]).toBe(Math.max(...accuracies));
  });

  it('stops with a clear error when the loss diverges, and leaks nothing', async () => {
    const values = clusterValues(30, 6);
    values.features[5] = Number.POSITIVE_INFINITY;
    const train = featuresInMemory(values.features, values.labels, values.channels);
    const before = tf.memory().numTensors;
    const error = await trainHead(train, undefined, base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkbenchError);
    expect((error as WorkbenchError).code).toBe('TRAINING_DIVERGED');
    expect((error as Error).message).toMatch(/lower learning rate/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops at a batch boundary when cancelled', async () => {
    const controller = new AbortController();
    let seen = 0;
    const error = await trainHead(clusters(30, 6), undefined, {
      ...base,
      signal: controller.signal,
      onBatch: () => {
        if (++seen === 3) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((error as WorkbenchError).code).toBe('CANCELLED');
    expect(seen).toBe(3);
  });
});
