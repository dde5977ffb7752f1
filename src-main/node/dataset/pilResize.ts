/**
 * Pillow's bilinear resize (`Image.resize(size, Image.BILINEAR)`), reproduced bit for bit. torchvision
 * resizes PIL images with it (Resize, RandomResizedCrop), so matching it makes our preprocessing
 * identical to torchvision's rather than merely close: libvips' kernels differ from it by several
 * grey levels on textured images.
 *
 * The algorithm is Pillow's Resample.c: a separable convolution (coefficients in pilCoefficients.ts),
 * a horizontal pass then a vertical pass, each rounding to 8 bits. This file holds the plain
 * JavaScript passes: the fallback where WebAssembly SIMD cannot run, and the reference the SIMD
 * passes (simdResampler.ts) are tested against. {@link ResamplePlan} describes a whole torchvision
 * crop-resize-crop-flip so that the SIMD path can fuse it.
 */
import type { RgbImage } from './decode';
import { CLIP_HIGH, HALF, PRECISION_BITS, precomputeCoefficients, type Coefficients } from './pilCoefficients';

/** A rectangle in pixels. */
export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * One torchvision geometric transform of a PIL image: crop `source` out of the image, resize it to
 * `width` × `height` (Pillow bilinear), keep the `keep` rectangle of the result, and mirror that
 * left-right when `flip`. Eval is Resize then CenterCrop (`source` the whole image); train is
 * `resized_crop` then `hflip` (`keep` the whole resized image).
 */
export interface ResamplePlan {
  source: PixelBox;
  width: number;
  height: number;
  keep: PixelBox;
  flip: boolean;
}

/** A plan's boxes must lie inside their images and every size must be positive; throws a RangeError. */
export function checkResamplePlan(imageWidth: number, imageHeight: number, plan: ResamplePlan): void {
  const { source, keep, width, height } = plan;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`resize target must be positive integers, got ${width}×${height}`);
  }
  const inside = (box: PixelBox, w: number, h: number): boolean =>
    [box.left, box.top, box.width, box.height].every(Number.isInteger) &&
    box.width > 0 &&
    box.height > 0 &&
    box.left >= 0 &&
    box.top >= 0 &&
    box.left + box.width <= w &&
    box.top + box.height <= h;
  if (!inside(source, imageWidth, imageHeight)) {
    throw new RangeError(`crop ${source.width}×${source.height} at (${source.left}, ${source.top}) is outside the ${imageWidth}×${imageHeight} image`);
  }
  if (!inside(keep, width, height)) {
    throw new RangeError(`crop ${keep.width}×${keep.height} at (${keep.left}, ${keep.top}) is outside the ${width}×${height} resized image`);
  }
}

/** The whole of a width × height image as a box. */
export const wholeImage = (width: number, height: number): PixelBox => ({ left: 0, top: 0, width, height });

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

/** Pillow `image.resize((width, height), Image.BILINEAR)` on 8-bit RGB, in plain JavaScript. */
export function resizeBilinearLikePillow(image: RgbImage, width: number, height: number): RgbImage {
  if (!(width > 0 && height > 0)) throw new RangeError(`resize target must be positive, got ${width}×${height}`);
  if (width === image.width && height === image.height) return { data: image.data.slice(), width, height };
  const horizontal = precomputeCoefficients(image.width, width);
  const vertical = precomputeCoefficients(image.height, height);
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

/** A plan carried out step by step as torchvision does it: crop, resize, crop, flip. */
export function resamplePlanInJavaScript(image: RgbImage, plan: ResamplePlan): RgbImage {
  checkResamplePlan(image.width, image.height, plan);
  const { source, keep } = plan;
  const whole = source.left === 0 && source.top === 0 && source.width === image.width && source.height === image.height;
  const cropped = whole ? image : cropRgb(image, source.left, source.top, source.width, source.height);
  const resized = resizeBilinearLikePillow(cropped, plan.width, plan.height);
  const kept = keep.width === plan.width && keep.height === plan.height ? resized : cropRgb(resized, keep.left, keep.top, keep.width, keep.height);
  return plan.flip ? flipHorizontal(kept) : kept;
}
