/**
 * Convolution weight gradients for tfjs' wasm backend, which ships no `Conv2DBackpropFilter` and so
 * could not fine-tune. It does ship a native `Conv3DBackpropFilterV2`, and a 2-D filter gradient is a
 * 3-D one with depth 1: we call that kernel on the same memory with 5-D shapes (no copy).
 *
 * That kernel is wrong for stride > 1 with kernels > 1 (checked against the definition in
 * test/node/engine/wasmKernels.test.ts), so strided and padded convolutions take another route that
 * only ever asks it for stride 1 without padding: split the input into its stride phases. With
 * stride s, filter tap kh = s·a + ph only ever meets input rows s·oy + ph + s·a − top, i.e. row
 * oy + a of the phase image Xp[i] = X[s·i + ph − top] (zero outside the image). So each phase's taps
 * are a stride-1 'valid' filter gradient of Xp with dY, and the phases' results interleave into dW.
 * The work is the same multiply-adds as the strided gradient itself (dilating dY with zeros instead
 * would cost s² times more); the phase copies are a small fraction of one input.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

type Conv3DFilterGradient = (x: TensorInfo, dy: TensorInfo, filterShape: [number, number, number, number, number]) => TensorInfo;

function conv3dFilterGradient(backend: BackendWasm): Conv3DFilterGradient {
  const kernel = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
  if (!kernel) throw new Error('the wasm backend has no Conv3DBackpropFilterV2 kernel to build the 2-D filter gradient on');
  return (x, dy, filterShape) =>
    kernel.kernelFunc({
      inputs: { x, dy },
      backend,
      attrs: { strides: [1, 1, 1], pad: 'valid', filterShape },
    } as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
}

/** The same tensor seen as 5-D with depth 1: the wasm kernels read memory by id and shape only. */
function withDepthOne(t: TensorInfo): TensorInfo {
  const [b, h, w, c] = t.shape as [number, number, number, number];
  return { dataId: t.dataId, shape: [b, 1, h, w, c], dtype: t.dtype };
}

/**
 * dW[kh, kw, ci, co] = Σ_b,y,x X[b, y·sh + kh − top, x·sw + kw − left, ci] · dY[b, y, x, co] (NHWC),
 * computed by the wasm backend's native 3-D kernel at stride 1.
 */
export function wasmConv2dBackpropFilter(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const [, dyH, dyW, dyC] = dy.shape;
  if (dyH !== outHeight || dyW !== outWidth || dyC !== outChannels) {
    throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape.join(', ')}], the convolution's output is [${batchSize}, ${outHeight}, ${outWidth}, ${outChannels}]`);
  }
  const filterGradient = conv3dFilterGradient(backend);
  const plain = strideHeight === 1 && strideWidth === 1 && top === 0 && left === 0 && inHeight === outHeight + filterHeight - 1 && inWidth === outWidth + filterWidth - 1;
  if (plain) {
    const dw = filterGradient(withDepthOne(x), withDepthOne(dy), [1, filterHeight, filterWidth, inChannels, outChannels]);
    return { dataId: dw.dataId, shape: [filterHeight, filterWidth, inChannels, outChannels], dtype: 'float32' };
  }
  const dwValues = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  const block = inChannels * outChannels;
  for (let ph = 0; ph < Math.min(strideHeight, filterHeight); ph++) {
    for (let pw = 0; pw < Math.min(strideWidth, filterWidth); pw++) {
      const tapsH = Math.ceil((filterHeight - ph) / strideHeight);
      const tapsW = Math.ceil((filterWidth - pw) / strideWidth);
      const phaseH = outHeight + tapsH - 1;
      const phaseW = outWidth + tapsW - 1;
      const phase = backend.makeOutput([batchSize, 1, phaseH, phaseW, inChannels], 'float32');
      // Views on wasm memory are taken after the allocation: growing the heap detaches older views.
      const xv = backend.typedArrayFromHeap(x) as Float32Array;
      const pv = backend.typedArrayFromHeap(phase) as Float32Array;
      pv.fill(0);
      for (let b = 0; b < batchSize; b++) {
        for (let i = 0; i < phaseH; i++) {
          const iy = i * strideHeight + ph - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let j = 0; j < phaseW; j++) {
            const ix = j * strideWidth + pw - left;
            if (ix < 0 || ix >= inWidth) continue;
            const from = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            pv.set(xv.subarray(from, from + inChannels), ((b * phaseH + i) * phaseW + j) * inChannels);
          }
        }
      }
      const dwPhase = filterGradient(phase, withDepthOne(dy), [1, tapsH, tapsW, inChannels, outChannels]);
      const dv = backend.typedArrayFromHeap(dwPhase) as Float32Array;
      for (let a = 0; a < tapsH; a++) {
        for (let q = 0; q < tapsW; q++) {
          const from = (a * tapsW + q) * block;
          dwValues.set(dv.subarray(from, from + block), ((ph + a * strideHeight) * filterWidth + (pw + q * strideWidth)) * block);
        }
      }
      backend.disposeData(phase.dataId);
      backend.disposeData(dwPhase.dataId);
    }
  }
  const dw = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  (backend.typedArrayFromHeap(dw) as Float32Array).set(dwValues);
  return dw;
}

function conv2dBackpropFilterKernel(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: BackpropFilterAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on the wasm backend supports NHWC only (the layout every model here uses)');
  if (inputs.x.dtype !== 'float32' || inputs.dy.dtype !== 'float32') throw new Error('Conv2DBackpropFilter on the wasm backend takes float32 tensors');
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
  return wasmConv2dBackpropFilter(backend, inputs.x, inputs.dy, info);
}

/**
 * Register the wasm kernels the backward pass of a ResNet needs and tfjs lacks (only
 * Conv2DBackpropFilter: the rest — Conv2DBackpropInput, MaxPoolGrad, the element-wise and reduction
 * kernels the other gradients are made of — ship with it). Idempotent.
 */
export function registerWasmGradientKernels(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilterKernel as unknown as KernelFunc,
  } as KernelConfig);
}
