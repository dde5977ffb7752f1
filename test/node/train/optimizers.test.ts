import { readFileSync } from 'node:fs';
import * as tf from '../../../src-main/node/engine/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/node/engine/backend';
import { TorchStyleOptimizer, type OptimizerConfig } from '../../../src-main/node/train/optimizers';

interface Step {
  loss: number;
  kernel: number[];
  bias: number[];
}
const reference = JSON.parse(readFileSync(new URL('../../fixtures/reference/optimizers.json', import.meta.url), 'utf8')) as {
  lrs: number[];
  adam: Step[];
  sgd: Step[];
};

// The closed forms of test/reference/make_optimizer_reference.py.
const N = 6;
const C = 4;
const K = 3;
const x = Array.from({ length: N }, (_, i) => Array.from({ length: C }, (_, j) => Math.sin(0.7 * i + 0.3 * j)));
const y = Array.from({ length: N }, (_, i) => i % K);
const kernel0 = Array.from({ length: C }, (_, i) => Array.from({ length: K }, (_, o) => 0.1 * Math.cos(1.3 * o + 0.5 * i)));
const bias0 = Array.from({ length: K }, (_, o) => 0.05 * o);

function train(config: OptimizerConfig): Step[] {
  const kernel = tf.tidy(() => tf.variable(tf.tensor2d(kernel0), true));
  const bias = tf.tidy(() => tf.variable(tf.tensor1d(bias0), true));
  const optimizer = new TorchStyleOptimizer(config);
  const steps: Step[] = [];
  const xs = tf.tensor2d(x);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), K));
  for (const lr of reference.lrs) {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, tf.add(tf.matMul(xs, kernel), bias)) as tf.Scalar, [kernel, bias]);
    optimizer.applyGradients(new Map<tf.Variable, tf.Tensor>([[kernel, grads[kernel.name]!], [bias, grads[bias.name]!]]), () => lr);
    steps.push({ loss: value.dataSync()[0]!, kernel: Array.from(kernel.dataSync()), bias: Array.from(bias.dataSync()) });
    tf.dispose([value, ...Object.values(grads)]);
  }
  optimizer.dispose();
  tf.dispose([kernel, bias, xs, ys]);
  return steps;
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - (expected[i] as number))).toBeLessThan(2e-6));
}

describe('optimizers match torch.optim step for step', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['cpu'] });
  });

  for (const [name, config] of [
    ['adam', { name: 'adam', weightDecay: 0.01 }],
    ['sgd', { name: 'sgd', momentum: 0.9, weightDecay: 1e-3 }],
  ] as const) {
    it(`${name} with weight decay and a changing learning rate`, () => {
      const before = tf.memory().numTensors;
      const ours = train(config);
      const torch = reference[name];
      ours.forEach((step, i) => {
        expect(step.loss).toBeCloseTo(torch[i]!.loss, 5);
        expectClose(step.kernel, torch[i]!.kernel);
        expectClose(step.bias, torch[i]!.bias);
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('saves and restores its state so a resumed run continues identically', () => {
    const kernel = tf.tidy(() => tf.variable(tf.tensor2d(kernel0), true));
    const optimizer = new TorchStyleOptimizer({ name: 'adam' });
    const grad = tf.onesLike(kernel);
    optimizer.applyGradients(new Map([[kernel, grad]]), () => 0.1);
    const keys = new Map([[kernel, 'kernel']]);
    const state = optimizer.getState(keys);
    const restored = new TorchStyleOptimizer({ name: 'adam' });
    restored.setState(state, keys);
    expect(restored.step).toBe(1);
    const snapshot = kernel.dataSync().slice();
    optimizer.applyGradients(new Map([[kernel, grad]]), () => 0.1);
    const expected = kernel.dataSync().slice();
    tf.tidy(() => kernel.assign(tf.tensor2d(snapshot, kernel.shape as [number, number])));
    restored.applyGradients(new Map([[kernel, grad]]), () => 0.1);
    expect(Array.from(kernel.dataSync())).toEqual(Array.from(expected));
    optimizer.dispose();
    restored.dispose();
    tf.dispose([kernel, grad]);
  });
});
