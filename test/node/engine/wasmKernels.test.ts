import * as tf from '../../../src-main/node/engine/tf';
import type { TensorInfo } from '../../../src-main/node/engine/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasConvGradients, initBackend } from '../../../src-main/node/engine/backend';
import { referenceBackpropFilter, referenceBackpropInput } from '../../support/convReference';

/** TF 'same' puts the smaller half of the padding first. */
function padBefore(pad: 'valid' | 'same' | number, size: number, k: number, stride: number): number {
  if (typeof pad === 'number') return pad;
  return pad === 'valid' ? 0 : Math.floor(Math.max((Math.ceil(size / stride) - 1) * stride + k - size, 0) / 2);
}

describe('wasm convolution gradients', () => {
  beforeAll(async () => {
    const info = await initBackend({ candidates: ['wasm'], requireConvGradients: true });
    expect(info.backend).toBe('wasm');
    expect(info.convGradients).toBe(true);
  });

  // The shapes ResNet uses: 3x3 stride 1 and stride 2 after explicit zero padding (even and odd
  // sizes), the 1x1 stride-2 downsample, the 7x7 stride-2 stem with padding 3; plus numeric and
  // 'same' padding inside the conv, which the explicit-padding model never asks for but others may.
  for (const [k, stride, pad, h, w, label] of [
    [3, 1, 'valid', 9, 11, '3x3 stride 1 valid'],
    [3, 2, 'valid', 16, 16, '3x3 stride 2 on a padded 14x14 (layer4.0.conv1)'],
    [3, 2, 'valid', 9, 11, '3x3 stride 2 valid, odd sizes'],
    [3, 2, 1, 14, 14, '3x3 stride 2 padding 1'],
    [1, 2, 'valid', 14, 14, '1x1 stride 2 (downsample)'],
    [7, 2, 3, 20, 18, '7x7 stride 2 padding 3 (stem)'],
    [7, 2, 'valid', 26, 24, '7x7 stride 2 on a padded input'],
    [3, 1, 'same', 9, 11, '3x3 stride 1 same'],
    [7, 2, 'same', 9, 11, '7x7 stride 2 same'],
    [2, 3, 'valid', 11, 10, '2x2 stride 3 (stride larger than the kernel)'],
  ] as const) {
    it(`match the definition: ${label}`, () => {
      const x = tf.randomNormal([2, h, w, 5], 0, 1, 'float32', 1) as tf.Tensor4D;
      const filter = tf.randomNormal([k, k, 5, 6], 0, 1, 'float32', 2) as tf.Tensor4D;
      const y = tf.conv2d(x, filter, stride, pad);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
      const tensorsBefore = tf.memory().numTensors;
      const bytesBefore = tf.memory().numBytes;
      // The gradients of sum(conv(x, W) * dy) are Conv2DBackpropFilter(x, dy) and Conv2DBackpropInput(dy, W).
      const [dx, dw] = tf.grads((xt: tf.Tensor, wt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, stride, pad), dy)))([x, filter]) as [tf.Tensor, tf.Tensor];
      const top = padBefore(pad, h, k, stride);
      const left = padBefore(pad, w, k, stride);
      const expectedW = referenceBackpropFilter(x.dataSync() as Float32Array, x.shape, dy.dataSync() as Float32Array, dy.shape, k, stride, top, left);
      const expectedX = referenceBackpropInput(dy.dataSync() as Float32Array, dy.shape, filter.dataSync() as Float32Array, k, x.shape, stride, top, left);
      expect(dw.shape).toEqual([k, k, 5, 6]);
      expect(dx.shape).toEqual(x.shape);
      const worst = (got: ArrayLike<number>, expected: Float64Array): number => expected.reduce((m, v, i) => Math.max(m, Math.abs((got[i] as number) - v) / (1 + Math.abs(v))), 0);
      expect(worst(dw.dataSync(), expectedW)).toBeLessThan(1e-5);
      expect(worst(dx.dataSync(), expectedX)).toBeLessThan(1e-5);
      // Nothing leaks: neither tensors nor the kernels' scratch memory on the wasm heap.
      expect(tf.memory().numTensors).toBe(tensorsBefore + 2);
      tf.dispose([dx, dw]);
      expect(tf.memory().numBytes).toBe(bytesBefore);
      tf.dispose([x, filter, y, dy]);
    });
  }

  it('are what the wasm backend reports as its convolution gradients', () => {
    expect(hasConvGradients('wasm')).toBe(true);
  });

  it('refuse a dy whose shape is not the convolution output', () => {
    const kernel = tf.getKernel('Conv2DBackpropFilter', 'wasm')!;
    const x = tf.zeros([1, 8, 8, 2]);
    const dy = tf.zeros([1, 5, 5, 3]);
    const call = (): unknown =>
      kernel.kernelFunc({
        inputs: { x: x as unknown as TensorInfo, dy: dy as unknown as TensorInfo },
        backend: tf.backend(),
        attrs: { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] },
      } as unknown as Parameters<typeof kernel.kernelFunc>[0]);
    expect(call).toThrow(/dy has shape \[1, 5, 5, 3\].*\[1, 3, 3, 3\]/);
    tf.dispose([x, dy]);
  });
});
