/**
 * The page is served from a privileged custom scheme, `app://workbench/`, rather than `file://`
 * (Electron's checklist): a file: page shares one origin with every file on disk, while app:// is an
 * origin of its own whose handler answers only for the built renderer folder. Requests are resolved
 * and confined here as pure functions; index.ts registers the scheme and the handler.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../node/io/pathInside';
import { CONTENT_SECURITY_POLICY } from './security';

export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** What `protocol.registerSchemesAsPrivileged` is given, before the app is ready. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: false } as const;

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file an app:// URL names inside `rendererFolder`, or undefined for another host, a path that
 * leaves the folder (also through a link) or a file type the page never loads.
 */
export async function resolveAppFile(url: string, rendererFolder: string): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (relative.includes('\0')) return undefined;
  const folder = await realpath(rendererFolder);
  const candidate = path.resolve(folder, `.${relative === '/' ? '/index.html' : relative}`);
  if (!isInside(folder, candidate) || !Object.hasOwn(MIME_TYPES, path.extname(candidate).toLowerCase())) return undefined;
  const real = await realpath(candidate).catch(() => undefined);
  return real !== undefined && isInside(folder, real) ? real : undefined;
}

/** The response to one app:// request: the file with its type and the page policy, or 404. */
export async function appProtocolResponse(url: string, rendererFolder: string): Promise<Response> {
  const file = await resolveAppFile(url, rendererFolder);
  const body = file === undefined ? undefined : await readFile(file).catch(() => undefined);
  if (file === undefined || body === undefined) return new Response('Not found.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  return new Response(new Uint8Array(body), {
    status: 200,
    headers: {
      'Content-Type': MIME_TYPES[path.extname(file).toLowerCase()] as string,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    },
  });
}
