/**
 * Image decoding with sharp. Every image becomes 8-bit sRGB, 3 channels, EXIF orientation applied.
 */
import sharp, { type Sharp } from 'sharp';
import { WorkbenchError } from '../../common/errors';

/** Interleaved (HWC) 8-bit RGB pixels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Refuse images above this many pixels before decoding them (decompression bombs). Default 50 MP. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface DecodeOptions {
  /** Largest accepted width × height. Default {@link DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
}

/** A sharp pipeline over a file or buffer that yields oriented, 8-bit, 3-channel sRGB. */
export function rgbPipeline(input: string | Uint8Array, options: DecodeOptions = {}): Sharp {
  return sharp(input, { limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'error' })
    .rotate()
    .toColourspace('srgb')
    .removeAlpha()
    .toFormat('raw', { depth: 'uchar' });
}

export async function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  try {
    const { data, info } = await rgbPipeline(input, options).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (error) {
    const where = typeof input === 'string' ? input : 'image buffer';
    throw new WorkbenchError('BAD_INPUT', `Cannot decode ${where}: ${(error as Error).message}`, { cause: error });
  }
}
