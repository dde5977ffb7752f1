/**
 * Convolution gradients for tfjs' wasm backend, so that it can fine-tune. It ships no
 * `Conv2DBackpropFilter` at all, and its `Conv2DBackpropInput` (like its `Conv3DBackpropFilterV2`,
 * which is also wrong for stride > 1 with kernels > 1) is a plain loop: measured on ResNet layer4's
 * 3x3 512→512 convolution at 7x7, batch 8, 1.6 s for the input gradient and 3.5 s for a filter
 * gradient through the 3-D kernel, against 0.1–0.3 s for a matrix product of the same size.
 *
 * So both gradients are written as one matrix product each on the wasm backend's `BatchMatMul`
 * (XNNPACK, the fast path when neither operand is transposed) plus a gather or scatter in JS:
 *   filter: dW[(kh, kw, ci), co] = colᵀ · dY, colᵀ[(kh, kw, ci), m] = X[b, y·s + kh − top, x·s + kw − left, ci]
 *   input:  dCol = dY · Wᵀ, then dX[b, y·s + kh − top, x·s + kw − left, ci] += dCol[m, (kh, kw, ci)]
 * with m = (b, y, x) over the output pixels. colᵀ's row order (kh, kw, ci) is HWIO, so the product
 * is the filter gradient in tfjs' own layout. Any stride and padding go through the same indexing.
 * Memory: one im2col-sized buffer per call (e.g. 58 MB for ResNet's layer1 at 224 px, batch 8).
 */
import * as tf from './tf';
import type { KernelConfig, KernelFunc, TensorInfo } from './tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: ConvPad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/** a [rows, inner] · b [inner, cols] on the wasm backend's own matrix product. */
function matMul(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo {
  const kernel = tf.getKernel('BatchMatMul', 'wasm');
  if (!kernel) throw new Error('the wasm backend has no BatchMatMul kernel');
  return kernel.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } } as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
}

function heap(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function checkNHWC(kernel: string, attrs: { dataFormat: string }, ...tensors: TensorInfo[]): void {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} on the wasm backend supports NHWC only (the layout every model here uses)`);
  if (tensors.some((t) => t.dtype !== 'float32')) throw new Error(`${kernel} on the wasm backend takes float32 tensors`);
}

function checkOutput(kernel: string, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, outHeight, outWidth, outChannels } = info;
  const [b, h, w, c] = dy.shape;
  if (b !== batchSize || h !== outHeight || w !== outWidth || c !== outChannels) {
    throw new Error(`${kernel}: dy has shape [${dy.shape.join(', ')}], the convolution's output is [${batchSize}, ${outHeight}, ${outWidth}, ${outChannels}]`);
  }
}

/**
 * Visit every (output pixel m, filter tap) pair whose input pixel lies inside the image, with the
 * flat offsets of that input pixel and of the tap's block of channels in a (kh, kw, ci) row.
 */
function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (m: number, xOffset: number, tapOffset: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const m = (b * outHeight + oy) * outWidth + ox;
        for (let kh = 0; kh < filterHeight; kh++) {
          const iy = oy * strideHeight + kh - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const ix = ox * strideWidth + kw - left;
            if (ix < 0 || ix >= inWidth) continue;
            visit(m, ((b * inHeight + iy) * inWidth + ix) * inChannels, (kh * filterWidth + kw) * inChannels);
          }
        }
      }
    }
  }
}

/** dW = colᵀ · dY (see the module comment), HWIO. */
export function wasmConv2dBackpropFilter(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  checkOutput('Conv2DBackpropFilter', dy, info);
  const { batchSize, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const pixels = batchSize * outHeight * outWidth;
  const rows = filterHeight * filterWidth * inChannels;
  const colT = backend.makeOutput([rows, pixels], 'float32');
  // Views on wasm memory are taken after the allocation: growing the heap detaches older views.
  const xv = heap(backend, x);
  const cv = heap(backend, colT);
  cv.fill(0);
  forEachTap(info, (m, xOffset, tapOffset) => {
    let row = tapOffset * pixels + m;
    for (let ci = 0; ci < inChannels; ci++, row += pixels) cv[row] = xv[xOffset + ci] as number;
  });
  const dw = matMul(backend, colT, { dataId: dy.dataId, shape: [pixels, outChannels], dtype: 'float32' });
  backend.disposeData(colT.dataId);
  return { dataId: dw.dataId, shape: [filterHeight, filterWidth, inChannels, outChannels], dtype: 'float32' };
}

/** dX = col2im(dY · Wᵀ) (see the module comment), NHWC. */
export function wasmConv2dBackpropInput(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  checkOutput('Conv2DBackpropInput', dy, info);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const pixels = batchSize * outHeight * outWidth;
  const rows = filterHeight * filterWidth * inChannels;
  const filterT = backend.makeOutput([outChannels, rows], 'float32');
  let wv = heap(backend, filter);
  const tv = heap(backend, filterT);
  for (let r = 0; r < rows; r++) {
    const from = r * outChannels;
    for (let co = 0; co < outChannels; co++) tv[co * rows + r] = wv[from + co] as number;
  }
  const dCol = matMul(backend, { dataId: dy.dataId, shape: [pixels, outChannels], dtype: 'float32' }, filterT);
  backend.disposeData(filterT.dataId);
  const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  const xv = heap(backend, dx);
  wv = heap(backend, dCol);
  xv.fill(0);
  forEachTap(info, (m, xOffset, tapOffset) => {
    const from = m * rows + tapOffset;
    for (let ci = 0; ci < inChannels; ci++) xv[xOffset + ci] = (xv[xOffset + ci] as number) + (wv[from + ci] as number);
  });
  backend.disposeData(dCol.dataId);
  return dx;
}

function conv2dBackpropFilterKernel(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: BackpropFilterAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  checkNHWC('Conv2DBackpropFilter', attrs, inputs.x, inputs.dy);
  const info = tf.backend_util.computeConv2DInfo(inputs.x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  return wasmConv2dBackpropFilter(backend, inputs.x, inputs.dy, info);
}

function conv2dBackpropInputKernel(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: BackpropInputAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  checkNHWC('Conv2DBackpropInput', attrs, inputs.dy, inputs.filter);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    inputs.filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return wasmConv2dBackpropInput(backend, inputs.dy, inputs.filter, info);
}

let registered = false;

/**
 * Register our two convolution gradient kernels for wasm (over its own Conv2DBackpropInput). The
 * other kernels a ResNet's backward pass is made of — MaxPoolGrad, the element-wise and reduction
 * kernels of the BatchNorm, ReLU, add, pad and mean gradients — ship with it (a whole fine-tune step
 * runs in test/node/train/fineTuner.test.ts). Call before the backend initialises; idempotent.
 */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2dBackpropInputKernel as unknown as KernelFunc } as KernelConfig);
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterKernel as unknown as KernelFunc } as KernelConfig);
  registered = true;
}
