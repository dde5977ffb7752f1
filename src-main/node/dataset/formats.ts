/**
 * Image formats recognised from a file's first bytes. The extension of a file is a hint from whoever
 * named it; the content decides what it is (a JPEG saved as `.png` is still a JPEG).
 */
import { extname } from 'node:path';

/** Formats we can recognise. Only those in {@link DECODABLE_FORMATS} are decoded. */
export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heic' | 'bmp' | 'pnm' | 'svg' | 'jpeg2000' | 'jpegxl' | 'ico' | 'psd';

/** What sharp's prebuilt libvips decodes. */
export const DECODABLE_FORMATS: ReadonlySet<SniffedFormat> = new Set(['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif']);

/** How many leading bytes {@link sniffImageFormat} needs. */
export const SNIFF_BYTES = 32;

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** The image format of `bytes` judged by magic numbers, or undefined when it is not a known image format. */
export function sniffImageFormat(bytes: Uint8Array): SniffedFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  const head6 = ascii(bytes, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  // BigTIFF: libvips reads it too.
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'heic';
    if (brand === 'jp2 ') return 'jpeg2000';
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'jpeg2000';
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'jpegxl';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 14) return 'bmp';
  if (bytes[0] === 0x50 && bytes[1] !== undefined && bytes[1] >= 0x31 && bytes[1] <= 0x37 && [0x0a, 0x0d, 0x20, 0x09].includes(bytes[2] ?? 0)) return 'pnm';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (ascii(bytes, 0, 4) === '8BPS') return 'psd';
  const text = ascii(bytes, 0, Math.min(bytes.length, SNIFF_BYTES)).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('svg'))) return 'svg';
  return undefined;
}

const EXTENSIONS: Record<SniffedFormat, readonly string[]> = {
  jpeg: ['.jpg', '.jpeg', '.jpe', '.jfif', '.jif'],
  png: ['.png'],
  gif: ['.gif'],
  webp: ['.webp'],
  tiff: ['.tif', '.tiff'],
  avif: ['.avif'],
  heic: ['.heic', '.heif'],
  bmp: ['.bmp', '.dib'],
  pnm: ['.ppm', '.pgm', '.pbm', '.pnm'],
  svg: ['.svg'],
  jpeg2000: ['.jp2', '.j2k', '.jpf', '.jpx'],
  jpegxl: ['.jxl'],
  ico: ['.ico'],
  psd: ['.psd'],
};

const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(EXTENSIONS).flat());

/**
 * Whether a file's extension names a different image format than its content (`.png` holding a
 * JPEG). Files without an extension or with one that names no image format (`.dat`, `.v2`) are not
 * flagged: nothing about them claims a format.
 */
export function extensionMismatch(path: string, format: SniffedFormat): boolean {
  const ext = extname(path).toLowerCase();
  return KNOWN_EXTENSIONS.has(ext) && !EXTENSIONS[format].includes(ext);
}
