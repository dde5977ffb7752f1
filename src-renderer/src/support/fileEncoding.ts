/**
 * Files the user drops or picks in the browser, made ready for `models.classify`: checked against
 * the size the contract accepts, their bytes in base64, and a `data:` URL to preview them with
 * (the page's Content-Security-Policy allows `img-src 'self' data:` only, so no blob: URLs).
 */
import { formatBytes } from './format';

/** The largest image the engine accepts in one upload (the contract's base64 limit is ~21 MB of bytes). */
export const MAX_UPLOAD_BYTES = 20_000_000;

/** The longest file name the contract accepts. */
export const MAX_UPLOAD_NAME_LENGTH = 255;

/**
 * Bytes turned into base64 per step. A multiple of 3, so each chunk encodes without padding and the
 * chunks can simply be joined; small enough that `String.fromCharCode(...chunk)` stays far below
 * the engine's argument-count limit (spreading a 20 MB array at once throws a RangeError).
 */
const CHUNK_BYTES = 3 * 8192;

/** Standard base64 (RFC 4648, with padding) of `bytes`, for inputs of any size. */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
    const chunk = bytes.subarray(start, start + CHUNK_BYTES);
    parts.push(btoa(String.fromCharCode(...chunk)));
  }
  return parts.join('');
}

/** Why a file cannot be sent, as a sentence for the user; null when it can. */
export function uploadRefusal(file: Pick<File, 'name' | 'size'>): string | null {
  if (file.size === 0) return `${file.name} is empty (0 bytes).`;
  if (file.size > MAX_UPLOAD_BYTES) {
    return `${file.name} is ${formatBytes(file.size)}; images larger than ${formatBytes(MAX_UPLOAD_BYTES)} cannot be sent to the engine. Make a smaller copy, or choose it on the engine's machine.`;
  }
  return null;
}

/**
 * The name sent with an upload: the contract takes 1–255 characters, so a longer name keeps its
 * end (where the extension is) behind an ellipsis.
 */
export function uploadName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'image';
  if (trimmed.length <= MAX_UPLOAD_NAME_LENGTH) return trimmed;
  return `…${trimmed.slice(trimmed.length - (MAX_UPLOAD_NAME_LENGTH - 1))}`;
}

/** A `data:` URL showing the image; null when the file does not say it is an image. */
export function previewDataUrl(mimeType: string, base64: string): string | null {
  // Only image types: an arbitrary type in an <img> shows nothing useful. SVG is safe in <img>
  // (no scripts run there).
  if (!/^image\/[A-Za-z0-9.+-]+$/.test(mimeType)) return null;
  return `data:${mimeType};base64,${base64}`;
}

export interface EncodedUpload {
  name: string;
  /** The file's bytes in base64. */
  data: string;
  preview: string | null;
}

/** Reads a file and encodes it; throws the refusal sentence when it is too large or empty. */
export async function encodeUpload(file: File): Promise<EncodedUpload> {
  const refusal = uploadRefusal(file);
  if (refusal !== null) throw new Error(refusal);
  const data = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
  return { name: uploadName(file.name), data, preview: previewDataUrl(file.type, data) };
}
