/**
 * Resumable, checksummed download of one file. Bytes go to `<dest>.part`; an interrupted transfer
 * leaves that file so the next attempt continues with an HTTP Range request; only a file whose SHA-256
 * matches is renamed into place, so `dest` either does not exist or is the verified file.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';

export interface DownloadProgress {
  /** Bytes in the .part file so far, including any resumed from an earlier attempt. */
  bytes: number;
  /** Size of the whole file, when the server says it. */
  total: number | undefined;
  /** Average speed of this attempt. */
  bytesPerSecond: number;
  /** Bytes that were already there when this attempt started (0 for a fresh download). */
  resumedFrom: number;
}

export interface DownloadOptions {
  /** Lowercase hex start of the expected SHA-256 of the whole file (e.g. the `f37072fd` of `resnet18-f37072fd.pth`). */
  expectedSha256Prefix: string;
  /** Called at most every `progressIntervalMs` while bytes arrive, and once at the end. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Aborting stops the transfer with WorkbenchError('CANCELLED'); the .part file is kept for a resume. */
  signal?: AbortSignal;
  /** The fetch to use; default the global fetch (tests may inject one). */
  fetchImpl?: typeof fetch;
  /** Give up when connecting or when no bytes arrive for this long; default 30 000 ms. */
  timeoutMs?: number;
  /** Minimum time between progress calls; default 100 ms. */
  progressIntervalMs?: number;
  /**
   * What to tell a person who is offline; default: how to download the file elsewhere and bring it in
   * with `resnet-workbench weights import`.
   */
  offlineHint?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** Full SHA-256 of the file, lowercase hex. */
  sha256: string;
  /** Bytes reused from an earlier interrupted attempt. */
  resumedFrom: number;
}

/** Connection failures that mean "this machine cannot reach the server" rather than a broken transfer. */
const OFFLINE_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function partPathFor(dest: string): string {
  return `${dest}.part`;
}

function defaultOfflineHint(url: string): string {
  const fileName = path.posix.basename(new URL(url).pathname) || 'FILE';
  return (
    `To use it without internet access here, download ${url} on a machine with internet access, copy ${fileName} to this machine ` +
    `and run: resnet-workbench weights import ${fileName}`
  );
}

/** The errno-style code buried in a fetch failure (undici wraps it in `cause`, sometimes twice). */
function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeError(error: unknown): string {
  const code = networkErrorCode(error);
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (!parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  const text = parts.join(': ') || String(error);
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}

/** Parses `bytes START-END/TOTAL` (TOTAL may be `*`). */
function parseContentRange(header: string | null): { start: number; total: number | undefined } | undefined {
  const match = header ? /^bytes\s+(\d+)-\d+\/(\d+|\*)$/i.exec(header.trim()) : null;
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[2] === '*' ? undefined : Number(match[2]) };
}

// The TOTAL of a 416 reply's "Content-Range: bytes */TOTAL".
function parseUnsatisfiedRangeTotal(header: string | null): number | undefined {
  const match = header ? /^bytes\s+\*\/(\d+)$/i.exec(header.trim()) : null;
  return match ? Number(match[1]) : undefined;
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : 0;
  } catch {
    return 0;
  }
}

async function hashFileInto(hash: Hash, file: string): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

function checksumMismatch(url: string, expectedPrefix: string, found: string): WorkbenchError {
  return new WorkbenchError(
    'CHECKSUM_MISMATCH',
    `The file downloaded from ${url} is not the expected one: its SHA-256 should begin with ${expectedPrefix}, found ${found}. ` +
      'It was deleted; try again, and if this repeats the server or a proxy is serving different content.',
  );
}

/**
 * An abort controller for one attempt: aborted by the caller's signal, or by our own timer when the
 * server does not answer or stops sending. `reason()` tells which.
 */
function attemptController(signal: AbortSignal | undefined, timeoutMs: number) {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no data for ${timeoutMs} ms`));
    }, timeoutMs);
  };
  arm();
  return {
    signal: controller.signal,
    /** Restart the idle timer (called on every chunk). */
    touch: arm,
    timedOut: () => timedOut,
    dispose: (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

function truncated(url: string, bytes: number, total: number | undefined, reason: string): WorkbenchError {
  const of = total === undefined ? '' : ` of ${total}`;
  return new WorkbenchError(
    'NETWORK',
    `The download of ${url} stopped after ${bytes}${of} bytes (${reason}). The partial file is kept: run the same command again to resume.`,
  );
}

/** Rename, then fsync the folder (best effort) so the new entry survives a power cut. */
async function moveIntoPlace(partPath: string, dest: string): Promise<void> {
  await rename(partPath, dest);
  let folder: FileHandle | undefined;
  try {
    folder = await open(path.dirname(dest), 'r');
    await folder.sync();
  } catch {
    // Windows cannot fsync a folder; the rename has happened either way.
  } finally {
    await folder?.close().catch(() => undefined);
  }
}

/** Writes all of `chunk` (a write may be partial); a failure is the disk's, not the network's. */
async function writeAll(handle: FileHandle, chunk: Uint8Array, file: string): Promise<void> {
  try {
    for (let offset = 0; offset < chunk.byteLength; ) {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
      offset += bytesWritten;
    }
  } catch (error) {
    throw new WorkbenchError('IO', `Could not write '${file}': ${describeError(error)}.`, { cause: error });
  }
}

function cancelled(url: string): WorkbenchError {
  return new WorkbenchError('CANCELLED', `Download of ${url} was cancelled; the partial file is kept and the next attempt resumes it.`);
}

/**
 * Downloads `url` to `dest` (its folder is created), resuming `<dest>.part` if an earlier attempt left
 * one, and verifying the SHA-256 of the whole file before renaming it into place.
 *
 * Errors (all WorkbenchError): OFFLINE when the host cannot be reached (the message says how to import
 * the file instead); NETWORK for an HTTP error status or a transfer cut short (the .part file stays
 * and running again resumes); CHECKSUM_MISMATCH (the .part file is deleted); CANCELLED; IO.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<DownloadResult> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const progressIntervalMs = options.progressIntervalMs ?? 100;
  const expectedPrefix = options.expectedSha256Prefix.toLowerCase();
  if (!/^[0-9a-f]+$/.test(expectedPrefix)) {
    throw new WorkbenchError('BAD_INPUT', `expectedSha256Prefix must be hex digits; found '${options.expectedSha256Prefix}'.`);
  }
  const partPath = partPathFor(dest);
  await mkdir(path.dirname(dest), { recursive: true });

  // At most two attempts: the second one only after the server ignored or refused our Range request.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (options.signal?.aborted) throw cancelled(url);
    const partSize = await fileSize(partPath);
    let hash = createHash('sha256');
    if (partSize > 0) await hashFileInto(hash, partPath);
    /** Where this attempt's bytes start: the .part size, or 0 once the server sends the whole file. */
    let resumedFrom = partSize;

    const control = attemptController(options.signal, timeoutMs);
    let handle: FileHandle | undefined;
    try {
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (partSize > 0) headers.range = `bytes=${partSize}-`;
      let response: Response;
      try {
        response = await fetchImpl(url, { headers, signal: control.signal, redirect: 'follow' });
      } catch (error) {
        if (options.signal?.aborted) throw cancelled(url);
        const code = control.timedOut() ? 'ETIMEDOUT' : networkErrorCode(error);
        const host = new URL(url).host;
        if (code && OFFLINE_CODES.has(code)) {
          throw new WorkbenchError(
            'OFFLINE',
            `Cannot reach ${host} (${code === 'ETIMEDOUT' && control.timedOut() ? `no answer within ${timeoutMs} ms` : code}). ` +
              (options.offlineHint ?? defaultOfflineHint(url)),
            { cause: error },
          );
        }
        throw new WorkbenchError('NETWORK', `Could not download ${url}: ${describeError(error)}.`, { cause: error });
      }

      let total: number | undefined;
      if (response.status === 206 && partSize > 0) {
        const range = parseContentRange(response.headers.get('content-range'));
        if (!range || range.start !== partSize) {
          // Not the bytes we asked for: start over rather than splice the wrong part in.
          await response.body?.cancel().catch(() => undefined);
          await rm(partPath, { force: true });
          continue;
        }
        total = range.total;
        handle = await open(partPath, 'a');
      } else if (response.status === 416 && partSize > 0) {
        await response.body?.cancel().catch(() => undefined);
        // The .part file already covers the whole file (or more): it is done if its hash is right.
        const serverTotal = parseUnsatisfiedRangeTotal(response.headers.get('content-range'));
        const sha256 = hash.digest('hex');
        if ((serverTotal === undefined || serverTotal === partSize) && sha256.startsWith(expectedPrefix)) {
          await moveIntoPlace(partPath, dest);
          options.onProgress?.({ bytes: partSize, total: partSize, bytesPerSecond: 0, resumedFrom: partSize });
          return { path: dest, bytes: partSize, sha256, resumedFrom: partSize };
        }
        await rm(partPath, { force: true });
        continue;
      } else if (response.status === 200) {
        // A fresh download, or a server that ignored the Range header: either way the body starts at byte 0.
        if (partSize > 0) {
          hash = createHash('sha256');
          resumedFrom = 0;
        }
        const length = response.headers.get('content-length');
        total = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
        handle = await open(partPath, 'w');
      } else {
        await response.body?.cancel().catch(() => undefined);
        const status = [response.status, response.statusText].filter(Boolean).join(' ');
        throw new WorkbenchError('NETWORK', `Could not download ${url}: the server answered HTTP ${status}.`);
      }

      let bytes = resumedFrom;
      const started = performance.now();
      let lastReport = -Infinity;
      const report = (force: boolean): void => {
        const now = performance.now();
        if (!options.onProgress || (!force && now - lastReport < progressIntervalMs)) return;
        lastReport = now;
        const seconds = (now - started) / 1000;
        options.onProgress({ bytes, total, bytesPerSecond: seconds > 0 ? (bytes - resumedFrom) / seconds : 0, resumedFrom });
      };
      report(true);
      try {
        if (response.body) {
          for await (const chunk of response.body) {
            control.touch();
            await writeAll(handle, chunk, partPath);
            hash.update(chunk);
            bytes += chunk.byteLength;
            report(false);
          }
        }
      } catch (error) {
        await handle.sync().catch(() => undefined);
        if (error instanceof WorkbenchError) throw error;
        if (options.signal?.aborted) throw cancelled(url);
        throw truncated(url, bytes, total, control.timedOut() ? `no data for ${timeoutMs} ms` : describeError(error));
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      if (total !== undefined && bytes < total) throw truncated(url, bytes, total, 'the server closed the connection early');
      report(true);

      const sha256 = hash.digest('hex');
      if (!sha256.startsWith(expectedPrefix)) {
        await rm(partPath, { force: true });
        throw checksumMismatch(url, expectedPrefix, sha256);
      }
      await moveIntoPlace(partPath, dest);
      return { path: dest, bytes, sha256, resumedFrom };
    } catch (error) {
      if (error instanceof WorkbenchError) throw error;
      throw new WorkbenchError('IO', `Could not save ${url} to '${partPath}': ${describeError(error)}.`, { cause: error });
    } finally {
      await handle?.close().catch(() => undefined);
      control.dispose();
    }
  }
  throw new WorkbenchError('NETWORK', `Could not download ${url}: the server does not return the byte ranges it is asked for.`);
}

export interface DownloadProbe {
  /** Whether the server answered for the file (any 2xx or 3xx). */
  reachable: boolean;
  /** The server's host, e.g. `download.pytorch.org`. */
  host: string;
  /** Why not, in words (no network codes); null when reachable. */
  reason: string | null;
}

/**
 * Asks the server for the file's headers (HEAD, nothing downloaded) within `timeoutMs`, so a screen can
 * say before a run starts whether the weights can come from the network at all.
 */
export async function probeDownload(url: string, options: { fetchImpl?: typeof fetch; timeoutMs?: number } = {}): Promise<DownloadProbe> {
  const host = new URL(url).host;
  const control = attemptController(undefined, options.timeoutMs ?? 5_000);
  try {
    const response = await (options.fetchImpl ?? fetch)(url, { method: 'HEAD', signal: control.signal, redirect: 'follow' });
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return { reachable: true, host, reason: null };
    return { reachable: false, host, reason: `${host} answered but does not have the file (HTTP ${response.status}).` };
  } catch (error) {
    const code = control.timedOut() ? 'ETIMEDOUT' : networkErrorCode(error);
    const reason =
      code && OFFLINE_CODES.has(code)
        ? `This computer cannot reach ${host}: it looks offline, or a firewall blocks the address.`
        : `The connection to ${host} failed.`;
    return { reachable: false, host, reason };
  } finally {
    control.dispose();
  }
}
