/**
 * The coefficient tables of Pillow's bilinear resampling (Resample.c `precompute_coeffs` +
 * `normalize_coeffs_8bpc`, stable since Pillow 4): a triangle filter whose support grows with the
 * downscale factor (antialiasing), weights rounded to 22-bit fixed point. Shared by the JavaScript
 * passes (pilResize.ts) and the WebAssembly ones (simdResampler.ts), so both compute the same sums.
 */

export const PRECISION_BITS = 32 - 8 - 2;
export const ONE = 1 << PRECISION_BITS;
/** Rounding term every sum starts from. */
export const HALF = 1 << (PRECISION_BITS - 1);
/** At or above this sum the result clips to 255. */
export const CLIP_HIGH = ONE * 256;

export interface Coefficients {
  /** Taps per output sample (the stride of `weights`). */
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

/** Coefficients resampling `inSize` input samples to `outSize` (Pillow's box = [0, inSize)). */
export function precomputeCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
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
