/**
 * Image decoding with sharp. Every image becomes 8-bit sRGB, 3 channels, EXIF orientation applied:
 * grey and 16-bit images are widened/scaled, CMYK goes through its ICC profile (or libvips' default
 * CMYK profile), palettes are expanded and alpha is dropped (as PIL's `convert('RGB')` does, which
 * torchvision's loader uses).
 *
 * Safety: the format is sniffed from the content (never the extension), and the pixel count is
 * read from the header and checked against a limit before any pixel is decoded. A file that cannot
 * be used comes back as an {@link ImageProblem}, never as an exception, from the `check`/`try`
 * functions; {@link decodeImage} throws a WorkbenchError for callers that want one image or nothing.
 */
import { readRegularFile } from '../io/regularFile';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { WorkbenchError } from '../../common/errors';
import { DECODABLE_FORMATS, sniffImageFormat, type SniffedFormat } from './formats';
import { describeFsError } from './issues';

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

/** Why bytes could not become an image. */
export interface ImageProblem {
  reason: 'not-an-image' | 'unsupported-format' | 'zero-bytes' | 'truncated' | 'corrupt' | 'too-many-pixels';
  detail: string;
}

/** What the header says, before any pixel is decoded. */
export interface ImageHeader {
  format: SniffedFormat;
  /** Width and height as displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  /** EXIF orientation 1–8, when present. */
  orientation?: number;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: ImageProblem };

/** A sharp pipeline over a file or buffer that yields oriented, 8-bit, 3-channel sRGB. */
export function rgbPipeline(input: string | Uint8Array, options: DecodeOptions = {}): Sharp {
  // limitInputPixels is checked by sharp against the header, before any pixel is decoded.
  return sharp(input, { limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, failOn: 'error', sequentialRead: true })
    .rotate()
    .toColourspace('srgb')
    .removeAlpha()
    .toFormat('raw', { depth: 'uchar' });
}

function endsWith(bytes: Uint8Array, tail: readonly number[]): boolean {
  if (bytes.length < tail.length) return false;
  return tail.every((b, i) => bytes[bytes.length - tail.length + i] === b);
}

/** Whether a JPEG or PNG lacks its end marker, which is what an interrupted download looks like. */
function looksTruncated(bytes: Uint8Array, format: SniffedFormat): boolean {
  if (format === 'jpeg') {
    // EOI may be followed by padding some cameras add; look for it near the end.
    const tail = bytes.subarray(Math.max(0, bytes.length - 64));
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return false;
    return true;
  }
  if (format === 'png') return !endsWith(bytes, [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  return false;
}

/** Turn a sharp failure into a reason; truncation is recognised by the missing end marker too. */
export function describeDecodeFailure(error: unknown, bytes: Uint8Array, format: SniffedFormat): ImageProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return { reason: 'too-many-pixels', detail: message };
  if (looksTruncated(bytes, format) || /truncat|premature end|unexpected end|end of (file|stream|data)/i.test(message)) {
    return { reason: 'truncated', detail: `${format.toUpperCase()} data ends early (${bytes.length} bytes): ${message}` };
  }
  return { reason: 'corrupt', detail: `damaged ${format.toUpperCase()} data: ${message}` };
}

/** The sniffed format when it is one we decode; the reason otherwise. */
export function sniffDecodableFormat(bytes: Uint8Array): Checked<SniffedFormat> {
  if (bytes.length === 0) return { ok: false, problem: { reason: 'zero-bytes', detail: 'the file is empty (0 bytes)' } };
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    return { ok: false, problem: { reason: 'not-an-image', detail: 'the content is not a known image format' } };
  }
  if (!DECODABLE_FORMATS.has(format)) {
    const supported = [...DECODABLE_FORMATS].join(', ');
    return { ok: false, problem: { reason: 'unsupported-format', detail: `${format.toUpperCase()} images are not supported (supported: ${supported})` } };
  }
  return { ok: true, value: format };
}

/** Sniff the format and read the header; checks the pixel limit without decoding pixels. */
export async function readImageHeader(bytes: Uint8Array, options: DecodeOptions = {}): Promise<Checked<ImageHeader>> {
  const sniffed = sniffDecodableFormat(bytes);
  if (!sniffed.ok) return sniffed;
  const format = sniffed.value;
  let metadata: Metadata;
  try {
    // No limit here: we want the declared size to report it, and metadata() decodes no pixels.
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    return { ok: false, problem: describeDecodeFailure(error, bytes, format) };
  }
  const width = metadata.width;
  const height = metadata.pageHeight ?? metadata.height;
  if (!width || !height) return { ok: false, problem: { reason: 'corrupt', detail: 'the header declares no width or height' } };
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (width * height > maxPixels) {
    return {
      ok: false,
      problem: {
        reason: 'too-many-pixels',
        detail: `declares ${width}×${height} = ${(width * height).toLocaleString('en-US')} pixels, above the limit of ${maxPixels.toLocaleString('en-US')}`,
      },
    };
  }
  const swapped = metadata.orientation !== undefined && metadata.orientation >= 5;
  return {
    ok: true,
    value: {
      format,
      width: swapped ? height : width,
      height: swapped ? width : height,
      ...(metadata.orientation !== undefined ? { orientation: metadata.orientation } : {}),
    },
  };
}

/**
 * Files up to this size are verified in one decoding pass: for small images a separate header read
 * costs as much as the decode. The pixel limit still applies before any pixel is decoded, because
 * sharp checks `limitInputPixels` against the header before it decodes.
 */
const SINGLE_PASS_MAX_BYTES = 256 * 1024;

/**
 * Whether `bytes` is a usable image: format, pixel limit, and every byte of pixel data decodable
 * (so truncated or damaged files are found). Returns what the header says; problems are returned.
 */
export async function verifyImageBytes(bytes: Uint8Array, options: DecodeOptions = {}): Promise<Checked<ImageHeader>> {
  const sniffed = sniffDecodableFormat(bytes);
  if (!sniffed.ok) return sniffed;
  const format = sniffed.value;
  if (bytes.length <= SINGLE_PASS_MAX_BYTES) {
    try {
      const { info } = await rgbPipeline(bytes, options).toBuffer({ resolveWithObject: true });
      return { ok: true, value: { format, width: info.width, height: info.height } };
    } catch (error) {
      // Over the pixel limit: read the header for a message with the declared size.
      if (/pixel limit/i.test(error instanceof Error ? error.message : '')) return readImageHeader(bytes, options);
      return { ok: false, problem: describeDecodeFailure(error, bytes, format) };
    }
  }
  const header = await readImageHeader(bytes, options);
  if (!header.ok) return header;
  try {
    // A thumbnail still reads every byte of the image data (JPEG's DCT scaling skips work, not
    // data), so truncation and damage are found at a fraction of a full decode's cost.
    await rgbPipeline(bytes, options).resize(64, 64, { fit: 'inside', withoutEnlargement: true }).toBuffer();
  } catch (error) {
    return { ok: false, problem: describeDecodeFailure(error, bytes, format) };
  }
  return header;
}

/**
 * Decode bytes to 8-bit RGB; problems are returned, not thrown. One sharp pass: the format is
 * sniffed first and the pixel limit is applied by sharp from the header before decoding; the
 * header is read separately only to word the message when the limit is exceeded.
 */
export async function tryDecodeImageBytes(bytes: Uint8Array, options: DecodeOptions = {}): Promise<Checked<RgbImage & { format: SniffedFormat }>> {
  const sniffed = sniffDecodableFormat(bytes);
  if (!sniffed.ok) return sniffed;
  const format = sniffed.value;
  try {
    const { data, info } = await rgbPipeline(bytes, options).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      return { ok: false, problem: { reason: 'corrupt', detail: `expected 3 channels after conversion, got ${info.channels}` } };
    }
    return { ok: true, value: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, format } };
  } catch (error) {
    if (/pixel limit/i.test(error instanceof Error ? error.message : '')) {
      const header = await readImageHeader(bytes, options);
      if (!header.ok) return header;
    }
    return { ok: false, problem: describeDecodeFailure(error, bytes, format) };
  }
}

/** Decode a file or buffer to 8-bit RGB; throws a WorkbenchError naming the file and the reason. */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const where = typeof input === 'string' ? input : 'image buffer';
  let bytes: Uint8Array;
  try {
    // The file-access rule: a regular file (never a device or FIFO) of at most 512 MiB, checked before reading.
    bytes = typeof input === 'string' ? await readRegularFile(input, { maxBytes: 512 * 1024 * 1024, what: 'The image' }) : input;
  } catch (error) {
    if (error instanceof WorkbenchError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new WorkbenchError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `Cannot read ${where}: ${describeFsError(error)}`, { cause: error });
  }
  const result = await tryDecodeImageBytes(bytes, options);
  if (!result.ok) throw new WorkbenchError('BAD_INPUT', `Cannot decode ${where}: ${result.problem.reason}: ${result.problem.detail}`);
  const { data, width, height } = result.value;
  return { data, width, height };
}
