/**
 * Faster kernels for tfjs' pure-JS cpu backend, registered over its own. The stock
 * Conv2DBackpropFilter reads every element through TensorBuffer.get(...) with index arrays, which
 * made one ResNet layer4 weight gradient take over a minute; fine-tuning on machines without native
 * TensorFlow depends on it. Same mathematics, flat indexing, contiguous inner loop.
 */
import * as tf from './tf';
import type { KernelConfig, KernelFunc, TensorInfo } from './tf';

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** dW[kh, kw, ci, co] = Σ_b,y,x X[b, y·s + kh − pad, x·s + kw − pad, ci] · dY[b, y, x, co] (NHWC). */
export function conv2dBackpropFilterNHWC(
  x: Float32Array,
  xShape: readonly number[],
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): Float32Array {
  const [batch, inH, inW, inC] = xShape as [number, number, number, number];
  const { outHeight, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const acc = new Float64Array(filterHeight * filterWidth * inC * outChannels);
  for (let kh = 0; kh < filterHeight; kh++) {
    const yMin = Math.max(0, Math.ceil((top - kh) / strideHeight));
    const yMax = Math.min(outHeight, Math.ceil((inH + top - kh) / strideHeight));
    for (let kw = 0; kw < filterWidth; kw++) {
      const xMin = Math.max(0, Math.ceil((left - kw) / strideWidth));
      const xMax = Math.min(outWidth, Math.ceil((inW + left - kw) / strideWidth));
      const wBase = (kh * filterWidth + kw) * inC * outChannels;
      for (let b = 0; b < batch; b++) {
        for (let oy = yMin; oy < yMax; oy++) {
          const iy = oy * strideHeight + kh - top;
          for (let ox = xMin; ox < xMax; ox++) {
            const ix = ox * strideWidth + kw - left;
            const xOff = ((b * inH + iy) * inW + ix) * inC;
            const dyOff = ((b * outHeight + oy) * outWidth + ox) * outChannels;
            for (let ci = 0; ci < inC; ci++) {
              const xv = x[xOff + ci] as number;
              if (xv === 0) continue; // post-ReLU activations are often zero
              const row = wBase + ci * outChannels;
              for (let co = 0; co < outChannels; co++) acc[row + co] = (acc[row + co] as number) + xv * (dy[dyOff + co] as number);
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

let registered = false;

/** Replace the cpu backend's slow kernels with these; the stock kernel stays in use for NCHW. */
export function registerFastCpuKernels(): void {
  if (registered) return;
  const stock = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (!stock) return;
  const kernelFunc = ((args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: CpuBackendLike; attrs: BackpropFilterAttrs }) => {
    const { inputs, backend, attrs } = args;
    if (attrs.dataFormat === 'NCHW') return stock.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    const info = tf.backend_util.computeConv2DInfo(
      inputs.x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const values = conv2dBackpropFilterNHWC(backend.data.get(inputs.x.dataId).values, inputs.x.shape, backend.data.get(inputs.dy.dataId).values, info);
    return backend.makeTensorInfo([...info.filterShape], 'float32', values);
  }) as unknown as KernelFunc;
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({ ...stock, kernelFunc } as KernelConfig);
  registered = true;
}
