/**
 * tfjs' gradient of `FusedBatchNorm`, with the same arithmetic but without two costs that dominate it
 * when BatchNorm runs on its running statistics (how every fine-tune here trains): it tiles
 * 1/sqrt(var + eps) to the whole activation's shape before multiplying (measured: `Tile` was 9% of a
 * ResNet layer4 training step on wasm), and it computes x − mean and dy · scale for every call even
 * when only the input's gradient is wanted. Here the multiply broadcasts and each partial derivative
 * computes only what it needs, when asked. Every element goes through the same operations in the same
 * order, so the results are bit-identical (test/node/engine/batchNormGradient.test.ts).
 */
import * as tf from './tf';
import type { GradConfig, NamedAttrMap } from './tf';

const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap): Record<string, () => tf.Tensor> => {
  const grad = dy as tf.Tensor;
  const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
  const scaleValue = scale ?? tf.scalar(1);
  const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
  const perChannel = mean.rank === 1;
  const reduce = (t: tf.Tensor): tf.Tensor => tf.reshape(perChannel ? tf.sum(t, reductionAxes) : t, mean.shape);
  const oneOverSqrtVariance = (): tf.Tensor => tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
  return {
    x: () => tf.reshape(tf.mul(tf.mul(grad, oneOverSqrtVariance()), scaleValue), x.shape),
    mean: () => reduce(tf.mul(tf.mul(oneOverSqrtVariance(), tf.scalar(-1)), tf.mul(grad, scaleValue))),
    variance: () => {
      const r = oneOverSqrtVariance();
      const minusHalfRCube = tf.mul(tf.mul(tf.mul(r, r), r), tf.scalar(-0.5));
      return reduce(tf.mul(tf.mul(minusHalfRCube, tf.sub(x, mean)), tf.mul(grad, scaleValue)));
    },
    scale: () => reduce(tf.mul(grad, tf.mul(tf.sub(x, mean), oneOverSqrtVariance()))),
    offset: () => reduce(grad),
  };
};

let registered = false;

/** Replace tfjs' FusedBatchNorm gradient with this one (all backends). Idempotent. */
export function registerBatchNormGradient(): void {
  if (registered) return;
  // Unregistered first: replacing is the point, not a mistake for tfjs to warn about.
  if (tf.getGradient('FusedBatchNorm')) tf.unregisterGradient('FusedBatchNorm');
  tf.registerGradient({ kernelName: 'FusedBatchNorm', inputsToSave: ['x', 'mean', 'variance', 'scale'], gradFunc } as unknown as GradConfig);
  registered = true;
}
