import * as tf from '../../../src-main/node/engine/tf';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/node/engine/backend';

// tfjs' own gradient, taken before the engine replaces it.
const stock = tf.getGradient('FusedBatchNorm');

describe('FusedBatchNorm gradient', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`is bit-identical to tfjs' own for every input (${backend})`, async () => {
      await initBackend({ candidates: [backend] });
      expect(tf.getGradient('FusedBatchNorm')).not.toBe(stock);
      const x = tf.randomNormal([2, 5, 4, 6], 0, 1, 'float32', 1);
      const mean = tf.randomNormal([6], 0, 0.1, 'float32', 2);
      const variance = tf.randomUniform([6], 0.5, 1.5, 'float32', 3);
      const scale = tf.randomUniform([6], 0.5, 1.5, 'float32', 4);
      const offset = tf.randomNormal([6], 0, 0.1, 'float32', 5);
      const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 6);
      const ours = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
        tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, 1e-5), dy)),
      )([x, mean, variance, scale, offset]);
      const theirs = tf.tidy(() => {
        const thunks = stock.gradFunc(dy, [x, mean, variance, scale], { varianceEpsilon: 1e-5 });
        return ['x', 'mean', 'variance', 'scale', 'offset'].map((name) => thunks[name]!());
      });
      ours.forEach((g, i) => {
        expect(g.shape).toEqual(theirs[i]!.shape);
        expect(Array.from(g.dataSync())).toEqual(Array.from(theirs[i]!.dataSync()));
      });
      tf.dispose([x, mean, variance, scale, offset, dy, ...ours, ...theirs]);
    });
  }
});
