/**
 * A tiny HTTP file server on 127.0.0.1 for download tests. It serves fixed bytes at given paths,
 * honours `Range: bytes=N-` (206, 416), and can misbehave on demand: cut the connection after some
 * bytes, stall, ignore Range, or serve bytes other than the real file. Behaviour is a mutable object
 * so a test can change it between two requests (cut the first, serve the second).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureBehaviour {
  /** Close the socket after this many body bytes of a response (the full Content-Length is still announced). */
  cutAfterBytes?: number;
  /** Stop sending (but keep the socket open) after this many body bytes of a response. */
  stallAfterBytes?: number;
  /** Answer 200 with the whole file even when asked for a range. */
  ignoreRange?: boolean;
  /** Serve the file with every byte inverted (same length, wrong content). */
  wrongBytes?: boolean;
  /** Answer every request with this status and no body. */
  status?: number;
  /** Send body bytes in chunks of this size, pausing `chunkDelayMs` between them; default one write. */
  chunkSize?: number;
  chunkDelayMs?: number;
}

export interface FixtureRequest {
  path: string;
  /** The Range header as received, if any. */
  range: string | undefined;
  status: number;
}

export interface HttpFixtureServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  url(path: string): string;
  behaviour: FixtureBehaviour;
  /** Every request received, in order. */
  requests: FixtureRequest[];
  close(): Promise<void>;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header) : null;
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  return start >= size || start > end ? 'unsatisfiable' : { start, end };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function sendBody(res: ServerResponse, body: Uint8Array, behaviour: FixtureBehaviour): Promise<void> {
  const limit = Math.min(body.length, behaviour.cutAfterBytes ?? Infinity, behaviour.stallAfterBytes ?? Infinity);
  const chunkSize = behaviour.chunkSize ?? Math.max(limit, 1);
  for (let offset = 0; offset < limit && !res.destroyed; offset += chunkSize) {
    const chunk = body.subarray(offset, Math.min(offset + chunkSize, limit));
    await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
    if (behaviour.chunkDelayMs) await sleep(behaviour.chunkDelayMs);
  }
  if (limit === body.length) res.end();
  else if (behaviour.cutAfterBytes !== undefined && limit === behaviour.cutAfterBytes) res.socket?.destroy();
  // A stall keeps the socket open until the client gives up or the server closes.
}

/** Starts a server for `files` (URL path → bytes, e.g. `{'/models/resnet18-f37072fd.pth': bytes}`). */
export async function startHttpFixtureServer(files: Record<string, Uint8Array>, behaviour: FixtureBehaviour = {}): Promise<HttpFixtureServer> {
  const requests: FixtureRequest[] = [];
  const state: { behaviour: FixtureBehaviour } = { behaviour };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const range = req.headers.range;
    const b = state.behaviour;
    const record = (status: number): void => {
      requests.push({ path, range, status });
    };
    const file = files[path];
    if (b.status !== undefined || file === undefined) {
      const status = b.status ?? 404;
      record(status);
      res.writeHead(status, { 'content-length': '0' }).end();
      return;
    }
    const served = b.wrongBytes ? file.map((x) => 255 - x) : file;
    const wanted = b.ignoreRange ? undefined : parseRange(range, served.length);
    if (wanted === 'unsatisfiable') {
      record(416);
      res.writeHead(416, { 'content-range': `bytes */${served.length}`, 'content-length': '0' }).end();
      return;
    }
    if (wanted) {
      const part = served.subarray(wanted.start, wanted.end + 1);
      record(206);
      res.writeHead(206, {
        'content-type': 'application/octet-stream',
        'content-length': String(part.length),
        'content-range': `bytes ${wanted.start}-${wanted.end}/${served.length}`,
        'accept-ranges': 'bytes',
      });
      await sendBody(res, part, b);
      return;
    }
    record(200);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(served.length), 'accept-ranges': 'bytes' });
    await sendBody(res, served, b);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    url: (p) => `${baseUrl}${p.startsWith('/') ? p : `/${p}`}`,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(value: FixtureBehaviour) {
      state.behaviour = value;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function unusedLocalPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
