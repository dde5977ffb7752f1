/**
 * Deterministic test weights and images, computed bit-for-bit like test/reference/formula_weights.py.
 *
 * Both sides derive every value from a 32-bit integer hash of (stream, element index), so only
 * PyTorch's outputs need committing, never weights. Each value is an exactly computed float64 rounded
 * to float32 once, which IEEE arithmetic makes identical here (Math.fround) and in numpy
 * (astype(float32)). Scales keep activations of order one through 152 layers: He-scaled convs,
 * BatchNorm near identity, a small last BatchNorm on each residual branch.
 */
import { IMAGENET_NORMALIZATION } from '../../src-main/common/normalization';
import { RESNET_SPECS, torchvisionStateDictLayout, type ResNetDepth } from '../../src-main/common/resnetSpec';
import { elementCount, type StateDict } from '../../src-main/node/weights/stateDict';

export const IMAGE_STREAM = 0x10000;

/** uint32 hash of (stream, index): a multiply-add seed, then the lowbias32 finalizer. */
export function formulaHash(stream: number, index: number): number {
  let x = (Math.imul(index, 0x85ebca77) + ((Math.imul(stream, 0x9e3779b1) + 0x165667b1) >>> 0)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A value in [-1, 1) with 24 significant bits, so it is exact in float32. */
export function formulaUniform(stream: number, index: number): number {
  return ((formulaHash(stream, index) >>> 8) - 8388608) / 8388608;
}

interface Rule {
  offset: number;
  scale: number;
}

function entryRule(key: string, shape: readonly number[], bottleneck: boolean): Rule {
  const f = Math.fround;
  const lastBn = bottleneck ? 'bn3' : 'bn2';
  if (key === 'fc.weight') return { offset: 0, scale: f(Math.sqrt(3 / (shape[1] as number))) };
  if (key === 'fc.bias') return { offset: 0, scale: f(0.1) };
  if (shape.length === 4) return { offset: 0, scale: f(Math.sqrt(6 / ((shape[1] as number) * (shape[2] as number) * (shape[3] as number)))) };
  if (key.endsWith('.running_mean')) return { offset: 0, scale: f(0.1) };
  if (key.endsWith('.running_var')) return { offset: 1, scale: f(0.5) };
  if (key.endsWith('.bias')) return { offset: 0, scale: f(0.1) };
  if (key.endsWith('.weight')) {
    if (new RegExp(`^layer\\d+\\.\\d+\\.${lastBn}\\.weight$`).test(key)) return { offset: 0.2, scale: f(0.1) };
    return { offset: 1, scale: f(0.25) };
  }
  throw new Error(`no formula for ${key}`);
}

/**
 * The formula state dict of `torchvision.models.resnet{depth}(num_classes)`, in PyTorch's layout
 * (OIHW convs, [out, in] linear); entry i of the layout uses hash stream i.
 */
export function formulaStateDict(depth: ResNetDepth, numClasses: number): StateDict {
  const bottleneck = RESNET_SPECS[depth].block === 'bottleneck';
  const dict: StateDict = new Map();
  torchvisionStateDictLayout(depth, numClasses).forEach((entry, stream) => {
    if (entry.dtype === 'int64') {
      dict.set(entry.key, { dtype: 'int64', shape: [...entry.shape], data: new BigInt64Array(1) });
      return;
    }
    const { offset, scale } = entryRule(entry.key, entry.shape, bottleneck);
    const data = new Float32Array(elementCount(entry.shape));
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(offset + formulaUniform(stream, i) * scale);
    dict.set(entry.key, { dtype: 'float32', shape: [...entry.shape], data });
  });
  return dict;
}

/** uint8 pixels of `count` images, each size × size × 3 in HWC order; image n uses stream IMAGE_STREAM + n. */
export function formulaPixels(count: number, size: number): Uint8Array {
  const perImage = size * size * 3;
  const out = new Uint8Array(count * perImage);
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < perImage; i++) out[n * perImage + i] = formulaHash(IMAGE_STREAM + n, i) >>> 24;
  }
  return out;
}

/** Normalized NHWC float32 batch, computed in float32 like torchvision's ToTensor + Normalize. */
export function formulaImages(count: number, size: number): Float32Array {
  const pixels = formulaPixels(count, size);
  const mean = Float32Array.from(IMAGENET_NORMALIZATION.mean);
  const std = Float32Array.from(IMAGENET_NORMALIZATION.std);
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const c = i % 3;
    out[i] = Math.fround(Math.fround(Math.fround((pixels[i] as number) / 255) - (mean[c] as number)) / (std[c] as number));
  }
  return out;
}
