/**
 * The resampling plan of pilResize.ts run by WebAssembly SIMD (wasm/pilResample.wat): Pillow's exact
 * integer arithmetic four or sixteen lanes at a time, 5–10× faster than the JavaScript passes, and
 * torchvision's ToTensor + Normalize fused behind it.
 *
 * The geometry is fused too: the crop before the resize is folded into the horizontal coefficients
 * (offsets into the uncropped rows), the crop after it selects which output columns and rows are
 * computed at all, and the flip reverses the order the columns are written in. Each output byte is
 * still the sum Pillow computes for it, so the bytes are the same as cropping, resizing, cropping
 * and flipping one after the other (tested against that, and against torchvision).
 *
 * One module instance per thread. Its memory is reused from image to image and grows to the largest
 * image seen; after an image that needed more than {@link KEEP_MEMORY_BYTES}, the instance is
 * dropped so a rare huge image does not pin its memory for the rest of the run.
 */
import type { Normalization } from '../../common/normalization';
import type { RgbImage } from './decode';
import { precomputeCoefficients, type Coefficients } from './pilCoefficients';
import { checkResamplePlan, type ResamplePlan } from './pilResize';
import { PIL_RESAMPLE_WASM_BASE64 } from './wasm/pilResampleWasm';

/** The parts of the WebAssembly API used here (the Node typings leave them out of the ES2023 lib). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface ResampleExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  horizontal(src: number, srcStride: number, rows: number, dst: number, outCols: number, bounds: number, weights: number, ksize: number): void;
  vertical(src: number, rowBytes: number, dst: number, outRows: number, bounds: number, weights: number, ksize: number): void;
  normalize(src: number, count: number, dst: number, constants: number): void;
}

/** Memory an instance may keep between images: enough for 12-megapixel photos. */
const KEEP_MEMORY_BYTES = 64 * 1024 * 1024;
/** Spare bytes after every buffer: the passes load and store a little past the end of a row. */
const SLACK = 64;
const PAGE = 65536;

let instance: ResampleExports | undefined;
let unavailable: string | undefined;

function compile(): ResampleExports {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) throw new Error('this JavaScript engine has no WebAssembly');
  // Compiling validates the module: an engine without SIMD refuses it here.
  const module = new api.Module(Buffer.from(PIL_RESAMPLE_WASM_BASE64, 'base64'));
  return new api.Instance(module, {}).exports as ResampleExports;
}

/** Why the SIMD resampler cannot run here (e.g. WebAssembly disabled, or no SIMD), or undefined if it can. */
export function simdResamplerUnavailableReason(): string | undefined {
  if (instance || unavailable !== undefined) return unavailable;
  try {
    instance = compile();
  } catch (error) {
    unavailable = `WebAssembly SIMD is not available: ${error instanceof Error ? error.message : String(error)}`;
  }
  return unavailable;
}

/**
 * Coefficients by (input size, output size). Eval resizes every image of a data set's usual size
 * with the same tables; a small cache, emptied when full, keeps random train crops from growing it.
 */
const coefficientCache = new Map<string, Coefficients>();
const COEFFICIENT_CACHE_SIZE = 64;

function coefficientsFor(inSize: number, outSize: number): Coefficients {
  const key = `${inSize}:${outSize}`;
  let c = coefficientCache.get(key);
  if (!c) {
    if (coefficientCache.size >= COEFFICIENT_CACHE_SIZE) coefficientCache.clear();
    c = precomputeCoefficients(inSize, outSize);
    coefficientCache.set(key, c);
  }
  return c;
}

/** Bytes of memory the resampler of this thread holds now (0 before its first image, or after a huge one). */
export function simdResamplerMemoryBytes(): number {
  return instance?.memory.buffer.byteLength ?? 0;
}

/** Bump allocation of one call's buffers in the module's memory, 16-byte aligned. */
class Layout {
  size = 0;
  take(bytes: number): number {
    const at = this.size;
    this.size += Math.ceil((bytes + SLACK) / 16) * 16;
    return at;
  }
}

/** Output samples [first, first + count) of `c`, in reverse when `reverse`, as the kernels' tables. */
function selectCoefficients(c: Coefficients, first: number, count: number, reverse: boolean, boundScale: number, boundShift: number): { bounds: Int32Array; weights: Int32Array } {
  const bounds = new Int32Array(count * 2);
  const weights = new Int32Array(count * c.ksize);
  for (let j = 0; j < count; j++) {
    const from = first + (reverse ? count - 1 - j : j);
    bounds[j * 2] = ((c.bounds[from * 2] as number) + boundShift) * boundScale;
    bounds[j * 2 + 1] = c.bounds[from * 2 + 1] as number;
    weights.set(c.weights.subarray(from * c.ksize, (from + 1) * c.ksize), j * c.ksize);
  }
  return { bounds, weights };
}

/** The mean and std vectors of the normalize kernel: lanes follow R G B R | G B R G | B R G B. */
function normalizationConstants(normalization: Normalization): Float32Array {
  const out = new Float32Array(24);
  for (let lane = 0; lane < 12; lane++) {
    out[lane] = normalization.mean[lane % 3] as number;
    out[12 + lane] = normalization.std[lane % 3] as number;
  }
  return out;
}

/** Runs `plan` on `image`: the RGB bytes. Throws a RangeError for a plan outside the image. */
export function resampleWithSimd(image: RgbImage, plan: ResamplePlan): RgbImage {
  const kept = plan.keep;
  const data = new Uint8Array(kept.width * kept.height * 3);
  run(image, plan, (heap, out, count) => data.set(new Uint8Array(heap, out, count)));
  return { data, width: kept.width, height: kept.height };
}

/**
 * Runs `plan` on `image` and normalizes: torchvision's float32 values, HWC, written into `target`
 * from `offset` on (a slot of a batch; no array is allocated per image).
 */
export function resampleNormalizedWithSimdInto(image: RgbImage, plan: ResamplePlan, normalization: Normalization, target: Float32Array, offset: number): void {
  const count = plan.keep.width * plan.keep.height * 3;
  if (!(Number.isInteger(offset) && offset >= 0 && offset + count <= target.length)) {
    throw new RangeError(`${count} values do not fit at offset ${offset} of ${target.length}`);
  }
  run(image, plan, (heap, out, n, layout) => {
    const constants = layout.take(96);
    const values = layout.take(n * 4);
    const memory = grow(layout.size);
    new Float32Array(memory, constants, 24).set(normalizationConstants(normalization));
    (instance as ResampleExports).normalize(out, n, values, constants);
    target.set(new Float32Array(memory, values, n), offset);
  });
}

/** The module's memory, grown to at least `bytes`. */
function grow(bytes: number): ArrayBuffer {
  const memory = (instance as ResampleExports).memory;
  if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  return memory.buffer;
}

/** Both passes of `plan`; `finish` gets the kept RGB bytes (count of them at `out`) and may lay out more buffers. */
function run(image: RgbImage, plan: ResamplePlan, finish: (heap: ArrayBuffer, out: number, count: number, layout: Layout) => void): void {
  checkResamplePlan(image.width, image.height, plan);
  if (image.data.length !== image.width * image.height * 3) {
    throw new RangeError(`expected ${image.width}×${image.height}×3 bytes, got ${image.data.length}`);
  }
  const reason = simdResamplerUnavailableReason();
  if (reason !== undefined || !instance) throw new Error(reason ?? 'WebAssembly SIMD is not available');
  const wasm = instance;
  const { source, keep } = plan;

  // Horizontal: output columns keep.left.. of the resized width, read from the source box's columns.
  const horizontal = coefficientsFor(source.width, plan.width);
  const columns = selectCoefficients(horizontal, keep.left, keep.width, plan.flip, 3, source.left);
  // Vertical: output rows keep.top.., reading only the rows those need.
  const vertical = coefficientsFor(source.height, plan.height);
  const firstRow = vertical.bounds[keep.top * 2] as number;
  const lastOut = keep.top + keep.height - 1;
  const endRow = (vertical.bounds[lastOut * 2] as number) + (vertical.bounds[lastOut * 2 + 1] as number);
  const rows = selectCoefficients(vertical, keep.top, keep.height, false, 1, -firstRow);

  const rowBytes = keep.width * 3;
  const count = rowBytes * keep.height;
  const layout = new Layout();
  // Only the source rows the vertical pass reads are copied in and resampled horizontally.
  const srcRowBytes = image.width * 3;
  const firstSourceRow = source.top + firstRow;
  const copiedRows = endRow - firstRow;
  const src = layout.take(copiedRows * srcRowBytes);
  const hBounds = layout.take(columns.bounds.byteLength);
  const hWeights = layout.take(columns.weights.byteLength);
  const vBounds = layout.take(rows.bounds.byteLength);
  const vWeights = layout.take(rows.weights.byteLength);
  const between = layout.take(copiedRows * rowBytes);
  const out = layout.take(count);

  const heap = grow(layout.size);
  new Uint8Array(heap, src, copiedRows * srcRowBytes).set(image.data.subarray(firstSourceRow * srcRowBytes, (firstSourceRow + copiedRows) * srcRowBytes));
  new Int32Array(heap, hBounds, columns.bounds.length).set(columns.bounds);
  new Int32Array(heap, hWeights, columns.weights.length).set(columns.weights);
  new Int32Array(heap, vBounds, rows.bounds.length).set(rows.bounds);
  new Int32Array(heap, vWeights, rows.weights.length).set(rows.weights);

  wasm.horizontal(src, srcRowBytes, copiedRows, between, keep.width, hBounds, hWeights, horizontal.ksize);
  wasm.vertical(between, rowBytes, out, keep.height, vBounds, vWeights, vertical.ksize);
  finish(wasm.memory.buffer, out, count, layout);
  if (layout.size > KEEP_MEMORY_BYTES) instance = undefined;
}
