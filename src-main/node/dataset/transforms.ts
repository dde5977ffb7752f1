/**
 * Image transforms matching torchvision's presets. Eval: resize the shorter side to
 * round(size / crop), then center-crop size × size; crop = 1 is a plain resize to size × size.
 * Output is a normalized float32 HWC array, ready for an NHWC batch.
 */
import sharp, { type Sharp } from 'sharp';
import type { Normalization } from '../../common/normalization';
import { decodeImage, type DecodeOptions, type RgbImage } from './decode';

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

/** torchvision `CenterCrop`: offsets rounded as torchvision does. */
export function centerCropOffsets(width: number, height: number, size: number): { left: number; top: number } {
  return { left: Math.round((width - size) / 2), top: Math.round((height - size) / 2) };
}

export async function resizeForEval(image: RgbImage, size: number, crop: number): Promise<RgbImage> {
  if (image.width === size && image.height === size) return image;
  const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
  let pipeline: Sharp;
  if (crop >= 1) {
    pipeline = sharp(image.data, raw).resize(size, size, { fit: 'fill' });
  } else {
    const resized = shorterSideResize(image.width, image.height, Math.round(size / crop));
    const { left, top } = centerCropOffsets(resized.width, resized.height, size);
    pipeline = sharp(image.data, raw)
      .resize(resized.width, resized.height, { fit: 'fill' })
      .extract({ left, top, width: size, height: size });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** `(x / 255 - mean) / std` per channel, computed in float32 like torchvision's ToTensor + Normalize. */
export function normalizeRgb(image: RgbImage, normalization: Normalization): Float32Array {
  const out = new Float32Array(image.data.length);
  const { mean, std } = normalization;
  const m = Float32Array.from(mean);
  const s = Float32Array.from(std);
  for (let i = 0; i < image.data.length; i++) {
    const c = i % 3;
    out[i] = Math.fround(Math.fround(Math.fround((image.data[i] as number) / 255) - (m[c] as number)) / (s[c] as number));
  }
  return out;
}

/** Decode a file and apply the eval transform: normalized HWC float32 of size × size × 3. */
export async function loadEvalImage(file: string, options: EvalTransformOptions, decode: DecodeOptions = {}): Promise<Float32Array> {
  const image = await decodeImage(file, decode);
  return normalizeRgb(await resizeForEval(image, options.size, options.crop), options.normalization);
}
