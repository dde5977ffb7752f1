/**
 * Decides whether one file is a usable image: reads it once (read-only), hashes the content, sniffs
 * the format, checks the header and the pixel limit, and (optionally) decodes the pixels to catch
 * truncated or damaged data. Never throws for a bad file: the answer is a usable image or an issue.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { extensionMismatch, type SniffedFormat } from './formats';
import { readImageHeader, verifyImageBytes, type DecodeOptions } from './decode';
import { describeFsError, type DatasetIssue, type DatasetWarning } from './issues';

/** Files above this size are not read. Default 512 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

export interface CheckImageOptions extends DecodeOptions {
  /** Files larger than this many bytes are reported, not read. Default {@link DEFAULT_MAX_FILE_BYTES}. */
  maxFileBytes?: number;
  /** Decode all pixels to find truncated or damaged data; false checks the header only. Default true. */
  verifyPixels?: boolean;
}

export interface CheckedImage {
  path: string;
  format: SniffedFormat;
  /** Displayed size (EXIF orientation applied). */
  width: number;
  height: number;
  bytes: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

export type ImageFileCheck =
  | { ok: true; image: CheckedImage; warnings: DatasetWarning[] }
  | { ok: false; issue: DatasetIssue };

/** O_NONBLOCK: opening a FIFO with no writer must not wait (Windows has no such flag, nor the problem). */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

/**
 * Read a whole file, refusing files above `maxBytes` and anything but a regular file (a device such
 * as /dev/urandom never ends, a FIFO never answers), checked on the open handle so the check and the
 * read concern the same file.
 */
export async function readFileLimited(path: string, maxBytes: number): Promise<{ ok: true; bytes: Buffer } | { ok: false; issue: DatasetIssue }> {
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    return { ok: false, issue: { path, reason: 'unreadable', detail: `cannot open: ${describeFsError(error)}` } };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, issue: { path, reason: 'unreadable', detail: 'not a regular file (a device, pipe or socket); only regular files are read' } };
    const size = info.size;
    if (size > maxBytes) {
      return { ok: false, issue: { path, reason: 'file-too-large', detail: `${size} bytes, above the limit of ${maxBytes}` } };
    }
    return { ok: true, bytes: await handle.readFile() };
  } catch (error) {
    return { ok: false, issue: { path, reason: 'unreadable', detail: `cannot read: ${describeFsError(error)}` } };
  } finally {
    await handle.close().catch(() => {});
  }
}

export async function checkImageFile(path: string, options: CheckImageOptions = {}): Promise<ImageFileCheck> {
  const read = await readFileLimited(path, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  if (!read.ok) return read;
  const bytes = read.bytes;
  const header = (options.verifyPixels ?? true) ? await verifyImageBytes(bytes, options) : await readImageHeader(bytes, options);
  if (!header.ok) return { ok: false, issue: { path, ...header.problem } };
  const { format, width, height } = header.value;
  const warnings: DatasetWarning[] = extensionMismatch(path, format)
    ? [{ path, reason: 'extension-mismatch', detail: `the content is ${format.toUpperCase()}; decoded as ${format.toUpperCase()}` }]
    : [];
  return {
    ok: true,
    image: { path, format, width, height, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
    warnings,
  };
}
