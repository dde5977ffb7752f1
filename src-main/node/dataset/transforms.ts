/**
 * Image transforms matching torchvision's presets. Eval: resize the shorter side to
 * round(size / crop), then center-crop size × size; crop = 1 is a plain resize to size × size.
 * Train: `RandomResizedCrop(size)` (torchvision's sampling, including its fallback) then
 * `RandomHorizontalFlip()`, driven by a seeded {@link Rng}.
 * Resizing is Pillow's bilinear filter reproduced exactly (see pilResize.ts), so for the same decoded
 * pixels the output equals torchvision's on PIL images.
 * Each transform is a {@link ResamplePlan} (crop, resize, crop, flip), run in one fused pass by the
 * WebAssembly SIMD resampler, or step by step in JavaScript where WebAssembly SIMD is unavailable:
 * the same bytes either way.
 * Output is a normalized float32 HWC array, ready for an NHWC batch.
 */
import type { Normalization } from '../../common/normalization';
import { decodeImage, type DecodeOptions, type RgbImage } from './decode';
import { resamplePlanInJavaScript, wholeImage, type PixelBox, type ResamplePlan } from './pilResize';
import type { Rng } from './random';
import { resampleNormalizedWithSimdInto, resampleWithSimd, simdResamplerUnavailableReason } from './simdResampler';

export interface EvalTransformOptions {
  /** Output side in pixels. */
  size: number;
  /** Center-crop fraction in (0, 1]; 1 means a plain resize. */
  crop: number;
  normalization: Normalization;
}

/** torchvision `Resize(int)`: shorter side becomes `target`, the longer side is scaled and truncated. */
export function shorterSideResize(width: number, height: number, target: number): { width: number; height: number } {
  if (width <= height) return { width: target, height: Math.floor((target * height) / width) };
  return { width: Math.floor((target * width) / height), height: target };
}

/** torchvision `CenterCrop`: offsets `int(round((W - size) / 2))`, with Python's half-to-even rounding. */
export function centerCropOffsets(width: number, height: number, size: number): { left: number; top: number } {
  return { left: roundHalfEven((width - size) / 2), top: roundHalfEven((height - size) / 2) };
}

/**
 * torchvision's eval preprocessing on a PIL image as a plan: `Resize(round(size / crop))` then
 * `CenterCrop(size)`, or `Resize((size, size))` when crop is 1.
 */
export function evalPlan(width: number, height: number, size: number, crop: number): ResamplePlan {
  if (crop >= 1) return { source: wholeImage(width, height), width: size, height: size, keep: wholeImage(size, size), flip: false };
  const resized = shorterSideResize(width, height, roundHalfEven(size / crop));
  const { left, top } = centerCropOffsets(resized.width, resized.height, size);
  return { source: wholeImage(width, height), width: resized.width, height: resized.height, keep: { left, top, width: size, height: size }, flip: false };
}

/** Which resampler runs the plans: WebAssembly SIMD, or JavaScript and the reason SIMD could not run. */
export function resamplerInUse(): { kind: 'wasm-simd' } | { kind: 'javascript'; reason: string } {
  const reason = simdResamplerUnavailableReason();
  return reason === undefined ? { kind: 'wasm-simd' } : { kind: 'javascript', reason };
}

/** Carry out a plan: RGB bytes, bit for bit what torchvision's PIL transforms give. */
export function resampleRgb(image: RgbImage, plan: ResamplePlan): RgbImage {
  return simdResamplerUnavailableReason() === undefined ? resampleWithSimd(image, plan) : resamplePlanInJavaScript(image, plan);
}

/** Carry out a plan and normalize into `target` from `offset` on: torchvision's tensor values, HWC float32. */
export function resampleNormalizedInto(image: RgbImage, plan: ResamplePlan, normalization: Normalization, target: Float32Array, offset: number): void {
  if (simdResamplerUnavailableReason() === undefined) resampleNormalizedWithSimdInto(image, plan, normalization, target, offset);
  else normalizeRgbInto(resamplePlanInJavaScript(image, plan), normalization, target, offset);
}

/** Carry out a plan and normalize: torchvision's tensor values, HWC float32. */
export function resampleNormalized(image: RgbImage, plan: ResamplePlan, normalization: Normalization): Float32Array {
  const values = new Float32Array(plan.keep.width * plan.keep.height * 3);
  resampleNormalizedInto(image, plan, normalization, values, 0);
  return values;
}

/**
 * torchvision's eval preprocessing on a PIL image, bit for bit: `Resize(round(size / crop))` then
 * `CenterCrop(size)`, or `Resize((size, size))` when crop is 1. Resizing is Pillow's bilinear.
 */
export async function resizeForEval(image: RgbImage, size: number, crop: number): Promise<RgbImage> {
  return resampleRgb(image, evalPlan(image.width, image.height, size, crop));
}

const lookupTables = new WeakMap<Normalization, Float32Array>();

/**
 * The 3 × 256 normalized values, `(x / 255 - mean) / std` in float32 exactly as torchvision's
 * ToTensor + Normalize compute them (each step rounded to float32). A byte has only 256 values, so
 * a table turns the per-pixel arithmetic into a lookup.
 */
function normalizationTable(normalization: Normalization): Float32Array {
  let table = lookupTables.get(normalization);
  if (table) return table;
  table = new Float32Array(3 * 256);
  const m = Float32Array.from(normalization.mean);
  const s = Float32Array.from(normalization.std);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) {
      table[c * 256 + v] = Math.fround(Math.fround(Math.fround(v / 255) - (m[c] as number)) / (s[c] as number));
    }
  }
  lookupTables.set(normalization, table);
  return table;
}

/** Normalize HWC RGB bytes into `out` starting at `offset` (a slot of an NHWC batch). */
export function normalizeRgbInto(image: RgbImage, normalization: Normalization, out: Float32Array, offset = 0): void {
  const table = normalizationTable(normalization);
  const data = image.data;
  if (offset + data.length > out.length) throw new RangeError(`normalizeRgbInto: ${data.length} values do not fit at offset ${offset} of ${out.length}`);
  for (let i = 0; i < data.length; i += 3) {
    out[offset + i] = table[data[i] as number] as number;
    out[offset + i + 1] = table[256 + (data[i + 1] as number)] as number;
    out[offset + i + 2] = table[512 + (data[i + 2] as number)] as number;
  }
}

/** `(x / 255 - mean) / std` per channel, computed in float32 like torchvision's ToTensor + Normalize. */
export function normalizeRgb(image: RgbImage, normalization: Normalization): Float32Array {
  const out = new Float32Array(image.data.length);
  normalizeRgbInto(image, normalization, out, 0);
  return out;
}

/** torchvision's `RandomResizedCrop` defaults. */
export const DEFAULT_CROP_SCALE: readonly [number, number] = [0.08, 1];
export const DEFAULT_CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

export interface TrainTransformOptions {
  /** Output side in pixels. */
  size: number;
  /** Range of the crop's area as a fraction of the image. Default [0.08, 1]. */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height). Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /** Probability of a horizontal flip. Default 0.5. */
  flipProbability?: number;
  normalization: Normalization;
}

/** A crop rectangle in pixels. */
export type CropBox = PixelBox;

/** Python's `round()`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries at a random area fraction and a
 * log-uniform aspect ratio; if none fits, the largest center crop whose ratio is within range.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  scale: readonly [number, number] = DEFAULT_CROP_SCALE,
  ratio: readonly [number, number] = DEFAULT_CROP_RATIO,
): CropBox {
  const area = width * height;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(0, height - h + 1);
      const left = rng.int(0, width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    w = width;
    h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    h = height;
    w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = width;
    h = height;
  }
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

/** torchvision's `resized_crop(box, size)` then `hflip` when `flip`, as a plan. */
export function cropResizeFlipPlan(box: CropBox, size: number, flip: boolean): ResamplePlan {
  return { source: { ...box }, width: size, height: size, keep: wholeImage(size, size), flip };
}

/** Crop `box`, resize it to size × size (Pillow bilinear), and mirror left-right when `flip`: torchvision's `resized_crop` + `hflip`. */
export async function cropResizeFlip(image: RgbImage, box: CropBox, size: number, flip: boolean): Promise<RgbImage> {
  return resampleRgb(image, cropResizeFlipPlan(box, size, flip));
}

/** RandomResizedCrop then RandomHorizontalFlip as a plan, drawing from `rng` in torchvision's order. */
export function trainPlan(width: number, height: number, options: TrainTransformOptions, rng: Rng): ResamplePlan {
  const box = randomResizedCropBox(width, height, rng, options.scale, options.ratio);
  const flip = rng.next() < (options.flipProbability ?? 0.5);
  return cropResizeFlipPlan(box, options.size, flip);
}

/** RandomResizedCrop then RandomHorizontalFlip, drawing from `rng` in torchvision's order. */
export async function augmentForTraining(image: RgbImage, options: TrainTransformOptions, rng: Rng): Promise<RgbImage> {
  return resampleRgb(image, trainPlan(image.width, image.height, options, rng));
}

/** Decode a file and apply the eval transform: normalized HWC float32 of size × size × 3. */
export async function loadEvalImage(file: string, options: EvalTransformOptions, decode: DecodeOptions = {}): Promise<Float32Array> {
  const image = await decodeImage(file, decode);
  return resampleNormalized(image, evalPlan(image.width, image.height, options.size, options.crop), options.normalization);
}
