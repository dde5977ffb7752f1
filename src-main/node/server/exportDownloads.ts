/**
 * Browser mode's downloads of exports: the files an export just wrote, and nothing else, reach the
 * user's own computer through `GET /download/<id>`.
 *
 * - Only the service registers files (from an export's reply, after it is written); a request names
 *   an id, never a path. An id is 24 random bytes (base64url), valid for `ttlMs` (default an hour),
 *   and usable more than once in that time (a browser may retry, a person may download twice).
 * - Each file's identity (device, inode, size, modification time) is recorded at registration and
 *   checked on the opened handle before a byte is sent, links not followed: a file replaced or
 *   changed since is not served.
 * - A tfjs folder is sent as one zip (fflate, stored: weights do not compress), streamed file by
 *   file; a single-file format's model and its card are two downloads.
 * The route sits behind the server's Host and token checks like every other request.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Zip, ZipPassThrough } from 'fflate';
import type { ExportDownload, ExportWritten } from '../service/workbench';

/** The path prefix of download addresses. */
export const DOWNLOAD_PATH_PREFIX = '/download/';

/** How long a download address stays valid. */
export const DEFAULT_DOWNLOAD_TTL_MS = 60 * 60 * 1000;

/** Downloads kept at once; the oldest are forgotten first. */
const MAX_DOWNLOADS = 200;

const ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;

interface RecordedFile {
  /** Absolute path, as the export wrote it. */
  path: string;
  /** Its name inside the zip (zips only). */
  entryName: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

interface Download {
  fileName: string;
  contentType: string;
  /** One file served as it is, or several zipped. */
  packaging: 'file' | 'zip';
  files: RecordedFile[];
  expires: number;
}

export interface ExportDownloadsOptions {
  /** Default an hour. */
  ttlMs?: number;
  /** The clock (tests). Default Date.now. */
  now?: () => number;
}

const PLAIN_TEXT = 'text/plain; charset=utf-8';

async function recordFile(file: string, entryName: string): Promise<RecordedFile> {
  const info = await lstat(file);
  if (!info.isFile()) throw new Error(`${file} is not a regular file`);
  return { path: file, entryName, dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
}

/** `attachment` with the name as plain ASCII and, for everything else, RFC 5987's UTF-8 form. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._ -]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Opens a recorded file without following links and checks it is still the one the export wrote. */
async function openRecorded(file: RecordedFile): Promise<FileHandle | undefined> {
  const handle = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!handle) return undefined;
  const info = await handle.stat().catch(() => undefined);
  if (info?.isFile() && info.dev === file.dev && info.ino === file.ino && info.size === file.size && info.mtimeMs === file.mtimeMs) return handle;
  await handle.close();
  return undefined;
}

function waitForDrain(response: ServerResponse): Promise<void> {
  if (!response.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** Writes `handle`'s bytes to `sink` in chunks, waiting for the response to drain between them. */
async function pump(handle: FileHandle, response: ServerResponse, sink: (chunk: Uint8Array, final: boolean) => void): Promise<void> {
  const buffer = new Uint8Array(1024 * 1024);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (response.destroyed) return;
    sink(buffer.slice(0, bytesRead), bytesRead === 0);
    if (bytesRead === 0) return;
    await waitForDrain(response);
  }
}

export class ExportDownloads {
  private readonly downloads = new Map<string, Download>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: ExportDownloadsOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_DOWNLOAD_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Makes what an export wrote downloadable: its model (a zip for a tfjs folder) and, for single files, its card. */
  async register(written: ExportWritten): Promise<ExportDownload[]> {
    this.forgetExpired();
    if (written.format === 'tfjs') {
      const folderName = path.basename(written.path);
      const entries = await readdir(written.path, { withFileTypes: true });
      const files: RecordedFile[] = [];
      // The export writes only files at the top of its folder: anything else is not ours to send.
      for (const entry of entries.filter((e) => e.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
        files.push(await recordFile(path.join(written.path, entry.name), `${folderName}/${entry.name}`));
      }
      return [this.add('model', { fileName: `${folderName}.zip`, contentType: 'application/zip', packaging: 'zip', files })];
    }
    const model = await recordFile(written.path, path.basename(written.path));
    const card = await recordFile(written.card, path.basename(written.card));
    return [
      this.add('model', { fileName: model.entryName, contentType: 'application/octet-stream', packaging: 'file', files: [model] }),
      this.add('card', { fileName: card.entryName, contentType: 'text/markdown; charset=utf-8', packaging: 'file', files: [card] }),
    ];
  }

  /** Whether a request is for this route (the caller has checked its Host and token). */
  handles(pathname: string): boolean {
    return pathname.startsWith(DOWNLOAD_PATH_PREFIX);
  }

  /** Answers `GET|HEAD /download/<id>`: the file or zip, 404 for an unknown id, 410 once expired or changed. */
  async serve(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': PLAIN_TEXT }).end('Method not allowed.\n');
      return;
    }
    const id = pathname.slice(DOWNLOAD_PATH_PREFIX.length);
    const download = ID_PATTERN.test(id) ? this.downloads.get(id) : undefined;
    if (!download) {
      response.writeHead(404, { 'Content-Type': PLAIN_TEXT, 'Cache-Control': 'no-store' }).end('No such download. Export the model again on the Export screen.\n');
      return;
    }
    if (download.expires <= this.now()) {
      this.downloads.delete(id);
      response.writeHead(410, { 'Content-Type': PLAIN_TEXT, 'Cache-Control': 'no-store' }).end('This download has expired. Export the model again on the Export screen.\n');
      return;
    }
    const handles: FileHandle[] = [];
    try {
      for (const file of download.files) {
        const handle = await openRecorded(file);
        if (!handle) {
          response
            .writeHead(410, { 'Content-Type': PLAIN_TEXT, 'Cache-Control': 'no-store' })
            .end('The exported files have been changed or removed since the export. Export the model again on the Export screen.\n');
          return;
        }
        handles.push(handle);
      }
      const headers: Record<string, string> = {
        'Content-Type': download.contentType,
        'Content-Disposition': contentDisposition(download.fileName),
        'Cache-Control': 'no-store',
      };
      if (download.packaging === 'file') headers['Content-Length'] = String(download.files[0]?.size ?? 0);
      response.writeHead(200, headers);
      if (request.method === 'HEAD') {
        response.end();
        return;
      }
      if (download.packaging === 'file') await pump(handles[0]!, response, (chunk, final) => (final ? response.end() : response.write(chunk)));
      else await this.sendZip(download, handles, response);
    } finally {
      await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
    }
  }

  private async sendZip(download: Download, handles: FileHandle[], response: ServerResponse): Promise<void> {
    const zip = new Zip((error, data, final) => {
      if (error) {
        response.destroy(error);
        return;
      }
      response.write(data);
      if (final) response.end();
    });
    for (const [index, file] of download.files.entries()) {
      const entry = new ZipPassThrough(file.entryName);
      entry.mtime = new Date(file.mtimeMs);
      zip.add(entry);
      await pump(handles[index]!, response, (chunk, final) => entry.push(chunk, final));
      if (response.destroyed) return;
    }
    zip.end();
  }

  private add(kind: ExportDownload['kind'], download: Omit<Download, 'expires'>): ExportDownload {
    const id = randomBytes(24).toString('base64url');
    this.downloads.set(id, { ...download, expires: this.now() + this.ttlMs });
    while (this.downloads.size > MAX_DOWNLOADS) this.downloads.delete(this.downloads.keys().next().value as string);
    return { kind, url: `${DOWNLOAD_PATH_PREFIX}${id}`, fileName: download.fileName };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [id, download] of this.downloads) if (download.expires <= now) this.downloads.delete(id);
  }
}
