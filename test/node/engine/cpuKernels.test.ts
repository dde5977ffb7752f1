import * as tf from '../../../src-main/node/engine/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/node/engine/backend';

/** The weight gradient straight from its definition, in float64: the reference. */
function referenceBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, stride: number, padTop: number, padLeft: number, outC: number): Float64Array {
  const [b, h, w, c] = x.shape;
  const [, oh, ow] = dy.shape;
  const xv = x.dataSync();
  const dv = dy.dataSync();
  const out = new Float64Array(k * k * c * outC);
  for (let kh = 0; kh < k; kh++)
    for (let kw = 0; kw < k; kw++)
      for (let ci = 0; ci < c; ci++)
        for (let co = 0; co < outC; co++) {
          let sum = 0;
          for (let n = 0; n < b; n++)
            for (let oy = 0; oy < oh; oy++)
              for (let ox = 0; ox < ow; ox++) {
                const iy = oy * stride + kh - padTop;
                const ix = ox * stride + kw - padLeft;
                if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
                sum += (xv[((n * h + iy) * w + ix) * c + ci] as number) * (dv[((n * oh + oy) * ow + ox) * outC + co] as number);
              }
          out[((kh * k + kw) * c + ci) * outC + co] = sum;
        }
  return out;
}

describe('fast cpu Conv2DBackpropFilter', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['cpu'] });
  });

  for (const [k, stride, pad, label] of [
    [3, 1, 'valid', '3x3 stride 1 valid'],
    [3, 2, 'valid', '3x3 stride 2 valid'],
    [1, 2, 'valid', '1x1 stride 2'],
    [3, 1, 'same', '3x3 stride 1 same'],
    [7, 2, 'same', '7x7 stride 2 same'],
  ] as const) {
    it(`matches the definition: ${label}`, () => {
      const x = tf.randomNormal([2, 9, 11, 5], 0, 1, 'float32', 1) as tf.Tensor4D;
      const filter = tf.randomNormal([k, k, 5, 6], 0, 1, 'float32', 2) as tf.Tensor4D;
      const y = tf.conv2d(x, filter, stride, pad);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
      // The gradient of sum(conv(x, W) * dy) with respect to W is Conv2DBackpropFilter(x, dy).
      const grad = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, stride, pad), dy)))(filter);
      // TF 'same' puts the smaller half of the padding first.
      const before = (size: number): number => (pad === 'valid' ? 0 : Math.floor(Math.max((Math.ceil(size / stride) - 1) * stride + k - size, 0) / 2));
      const expected = referenceBackpropFilter(x, dy, k, stride, before(9), before(11), 6);
      const got = grad.dataSync();
      expect(grad.shape).toEqual([k, k, 5, 6]);
      expected.forEach((v, i) => expect(Math.abs((got[i] as number) - v)).toBeLessThan(1e-3 * (1 + Math.abs(v))));
      tf.dispose([x, filter, y, dy, grad]);
    });
  }
});
