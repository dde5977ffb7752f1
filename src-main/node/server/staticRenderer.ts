/**
 * Serves the built renderer (out/renderer) read-only: known files with their content type, no
 * directory listings, nothing outside the folder (`..`, encoded slashes and symbolic links that
 * lead out are all 404), index.html never cached so a new build is picked up on reload.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { isInside } from '../io/pathInside';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export type StaticResult = { kind: 'file'; file: string; contentType: string; size: number } | { kind: 'not-found' };

/**
 * The file a URL path names inside `folder`, or not-found. `/` is index.html; files of unknown
 * types are not served (nothing is guessed).
 */
export async function resolveStaticFile(folder: string, urlPath: string): Promise<StaticResult> {
  const notFound: StaticResult = { kind: 'not-found' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return notFound;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return notFound;
  const relative = decoded === '/' ? 'index.html' : decoded.slice(1);
  const segments = relative.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.' || segment === '' || segment.startsWith('.'))) return notFound;
  const contentType = CONTENT_TYPES[path.extname(relative).toLowerCase()];
  if (!contentType) return notFound;
  try {
    const root = await realpath(folder);
    const file = await realpath(path.join(root, ...segments));
    if (!isInside(root, file)) return notFound;
    const info = await stat(file);
    if (!info.isFile()) return notFound;
    return { kind: 'file', file, contentType, size: info.size };
  } catch {
    return notFound;
  }
}

/**
 * Answers a GET or HEAD for a file of the renderer; the caller has checked the Host and the token
 * and set the security headers (the Content-Security-Policy included).
 */
export async function serveStatic(folder: string, request: IncomingMessage, response: ServerResponse, urlPath: string): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed.\n');
    return;
  }
  const found = await resolveStaticFile(folder, urlPath);
  if (found.kind === 'not-found') {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found.\n');
    return;
  }
  const isPage = found.contentType.startsWith('text/html');
  response.writeHead(200, {
    'Content-Type': found.contentType,
    'Content-Length': String(found.size),
    // The page is small and must follow a new build at once; assets have hashed names but are cheap locally.
    'Cache-Control': isPage ? 'no-store' : 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(found.file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}
