/**
 * Pillow's bilinear resize (`Image.resize(size, Image.BILINEAR)`), reproduced bit for bit. torchvision
 * resizes PIL images with it (Resize, RandomResizedCrop), so matching it makes our preprocessing
 * identical to torchvision's rather than merely close: libvips' kernels differ from it by several
 * grey levels on textured images.
 *
 * The algorithm is Pillow's Resample.c (stable since Pillow 4): a separable convolution with a
 * triangle filter whose support grows with the downscale factor (antialiasing), coefficients
 * rounded to 22-bit fixed point, a horizontal pass then a vertical pass, each rounding to 8 bits.
 */
import type { RgbImage } from './decode';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
/** Above this accumulator value the result clips to 255. */
const CLIP_HIGH = ONE * 256;

interface Coefficients {
  /** Taps per output sample. */
  ksize: number;
  /** Per output sample: first input index and number of taps. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output sample. */
  weights: Int32Array;
}

const triangle = (x: number): number => {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
};

/** Resample.c `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter (support 1). */
function precomputeCoefficients(inSize: number, in0: number, in1: number, outSize: number): Coefficients {
  const scale = (in1 - in0) / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = triangle((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? (k[x] as number) / ww : (k[x] as number);
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

const clip8 = (v: number): number => (v >= CLIP_HIGH ? 255 : v <= 0 ? 0 : v >> PRECISION_BITS);

/** Horizontal pass over rows [firstRow, firstRow + rows) of `src`. */
function resampleHorizontal(src: RgbImage, firstRow: number, rows: number, outWidth: number, c: Coefficients): RgbImage {
  const out = new Uint8Array(outWidth * rows * 3);
  const { ksize, bounds, weights } = c;
  const data = src.data;
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + firstRow) * src.width * 3;
    const rowOut = y * outWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2] as number;
      const xmax = bounds[xx * 2 + 1] as number;
      const kOffset = xx * ksize;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      let p = rowIn + xmin * 3;
      for (let x = 0; x < xmax; x++, p += 3) {
        const w = weights[kOffset + x] as number;
        s0 += (data[p] as number) * w;
        s1 += (data[p + 1] as number) * w;
        s2 += (data[p + 2] as number) * w;
      }
      const o = rowOut + xx * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { data: out, width: outWidth, height: rows };
}

/** Vertical pass; `rowShift` is subtracted from the bounds (rows skipped by the horizontal pass). */
function resampleVertical(src: RgbImage, outHeight: number, c: Coefficients, rowShift: number): RgbImage {
  const width = src.width;
  const out = new Uint8Array(width * outHeight * 3);
  const { ksize, bounds, weights } = c;
  const data = src.data;
  const stride = width * 3;
  // Row-at-a-time accumulation reads memory in order. The sums are exact integers (below 2^31, as
  // in Pillow's int32 arithmetic), so the order of additions cannot change the result.
  const acc = new Float64Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = (bounds[yy * 2] as number) - rowShift;
    const ymax = bounds[yy * 2 + 1] as number;
    const kOffset = yy * ksize;
    acc.fill(HALF);
    for (let y = 0; y < ymax; y++) {
      const w = weights[kOffset + y] as number;
      const row = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] = (acc[i] as number) + (data[row + i] as number) * w;
    }
    const rowOut = yy * stride;
    for (let i = 0; i < stride; i++) out[rowOut + i] = clip8(acc[i] as number);
  }
  return { data: out, width, height: outHeight };
}

/** Pillow `image.resize((width, height), Image.BILINEAR)` on 8-bit RGB. */
export function resizeBilinearLikePillow(image: RgbImage, width: number, height: number): RgbImage {
  if (!(width > 0 && height > 0)) throw new RangeError(`resize target must be positive, got ${width}×${height}`);
  if (width === image.width && height === image.height) return { data: image.data.slice(), width, height };
  const horizontal = precomputeCoefficients(image.width, 0, image.width, width);
  const vertical = precomputeCoefficients(image.height, 0, image.height, height);
  let current = image;
  let rowShift = 0;
  if (width !== image.width) {
    // Only the rows the vertical pass reads are resampled horizontally.
    const firstRow = vertical.bounds[0] as number;
    const lastRow = (vertical.bounds[height * 2 - 2] as number) + (vertical.bounds[height * 2 - 1] as number);
    current = resampleHorizontal(image, firstRow, lastRow - firstRow, width, horizontal);
    rowShift = firstRow;
  }
  if (height !== image.height) current = resampleVertical(current, height, vertical, rowShift);
  return current;
}

/** A copy of a rectangle of the image (Pillow `crop`, inside the image). */
export function cropRgb(image: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > image.width || top + height > image.height) {
    throw new RangeError(`crop ${width}×${height} at (${left}, ${top}) is outside the ${image.width}×${image.height} image`);
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { data: out, width, height };
}

/** Mirror left-right (Pillow `transpose(FLIP_LEFT_RIGHT)`). */
export function flipHorizontal(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const from = row + x * 3;
      const to = row + (width - 1 - x) * 3;
      out[to] = data[from] as number;
      out[to + 1] = data[from + 1] as number;
      out[to + 2] = data[from + 2] as number;
    }
  }
  return { data: out, width, height };
}
