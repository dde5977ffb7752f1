/**
 * A step that leaves the weights NaN or infinite stops the run before anything of that epoch is
 * saved, so the previous epoch's checkpoint is the one kept; non-finite evaluation logits stop it too.
 * The non-finite step is injected: a feature of 1e38 gives a finite loss (so the per-batch loss check
 * passes) but a gradient step of lr × 0.5e38, past float32's range.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { initBackend } from '../../../src-main/node/engine/backend';
import { evaluateLogits } from '../../../src-main/node/train/evaluation';
import { featuresInMemory, trainHead, type FeatureSet, type HeadTrainingOptions, type HeadTrainingState } from '../../../src-main/node/train/headTrainer';

const channels = 4;
function features(poison: number | undefined): FeatureSet {
  const values = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0]);
  if (poison !== undefined) values[0] = poison;
  return featuresInMemory(values, Int32Array.from([0, 1]), channels);
}

const options: HeadTrainingOptions = {
  numClasses: 2,
  epochs: 2,
  batchSize: 2,
  lr: 10,
  schedule: 'constant',
  optimizer: { name: 'sgd', momentum: 0 },
  seed: 1,
};

function allFinite(state: HeadTrainingState): boolean {
  return [...state.weights.kernel, ...state.weights.bias, ...state.best.kernel, ...state.best.bias].every(Number.isFinite);
}

describe('non-finite guard', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['cpu'] });
  });

  it('stops at the epoch whose step made the weights non-finite; the previous epoch stays the last saved', async () => {
    // Epoch 1 trains normally and is "saved" (kept by the callback, as the trainer writes last.safetensors).
    const saved: HeadTrainingState[] = [];
    await trainHead(features(undefined), undefined, { ...options, epochs: 1, lr: 0.01, onEpoch: (_e, _l, state) => void saved.push(state) });
    expect(saved).toHaveLength(1);
    const lastGood = saved[0]!;
    // Epoch 2 resumes from it with a poisoned feature: the loss is finite, the step is not.
    const error = await trainHead(features(1e38), undefined, { ...options, resume: lastGood, onEpoch: (_e, _l, state) => void saved.push(state) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkbenchError);
    expect((error as WorkbenchError).code).toBe('TRAINING_DIVERGED');
    expect((error as Error).message).toMatch(/weights became .*epoch 2/);
    // Nothing of epoch 2 reached the saving callback; what is kept is epoch 1, finite.
    expect(saved.map((s) => s.epoch)).toEqual([1]);
    expect(saved.every(allFinite)).toBe(true);
  });

  it('refuses evaluation logits that are NaN or infinite, naming the image', () => {
    const logits = Float32Array.from([0.1, 0.2, Number.NaN, 0.3]);
    expect(() => evaluateLogits(logits, Int32Array.from([0, 1]), ['a.png', 'b.png'], ['x', 'y'])).toThrow(/b\.png is NaN/);
    expect(() => evaluateLogits(Float32Array.from([0.1, 0.2, 0.4, 0.3]), Int32Array.from([0, 1]), ['a.png', 'b.png'], ['x', 'y'])).not.toThrow();
  });
});
