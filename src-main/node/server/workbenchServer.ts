/**
 * Browser mode's server: the built renderer and the contract's WebSocket on one node:http server,
 * behind the checks of serverSecurity.ts. Order for every request: the Host must name this server
 * (421), then the token (URL or cookie, else 401), then the file (the renderer's, or an export's
 * download at /download/<id>). The WebSocket at /ws also needs
 * this server's own Origin; a refused upgrade gets 403 before any handshake.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { WorkbenchError } from '../../common/errors';
import { WS_MAX_PAYLOAD_BYTES, WS_PATH } from '../../common/wsProtocol';
import {
  BASELINE_HEADERS,
  TOKEN_PARAM,
  allowedHostHeaders,
  authenticate,
  contentSecurityPolicy,
  createToken,
  hostWithPort,
  isAllowedHost,
  isAllowedWebSocketOrigin,
  isWildcardHost,
  machineNames,
  tokenCookieHeader,
  type MachineNames,
} from './serverSecurity';
import type { ExportDownloads } from './exportDownloads';
import { serveStatic } from './staticRenderer';
import { attachWorkbenchTransport, type TransportService } from './wsTransport';

export interface WorkbenchServerOptions {
  /** The engine behind the contract (a Workbench). */
  service: TransportService;
  /** The built renderer: a folder with index.html (normally out/renderer). */
  rendererFolder: string;
  /** Address to bind. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Port to bind; 0 picks a free one. Default 0. */
  port?: number;
  /** The access token. Default: 32 random bytes, base64url. */
  token?: string;
  /** The machine's name and addresses (tests); default from node:os. */
  machine?: MachineNames;
  /** Exports offered for download at `/download/<id>` (registered by the service). Default: none. */
  downloads?: ExportDownloads;
}

export interface WorkbenchServer {
  /** What a person opens: `http://HOST:PORT/?token=TOKEN`. */
  url: string;
  /** `http://HOST:PORT`, the pages' origin. */
  origin: string;
  port: number;
  token: string;
  /** Closes every WebSocket and the HTTP server (the service is the caller's to close). */
  close(): Promise<void>;
}

const PLAIN_TEXT = 'text/plain; charset=utf-8';

/** How long connected tabs get to acknowledge the close before their sockets are cut. */
const CLOSE_GRACE_MS = 1000;

function listen(server: ReturnType<typeof createServer>, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = hostWithPort(host, port);
      if (error.code === 'EADDRINUSE') reject(new WorkbenchError('IO', `Port ${port} on ${host} is in use; choose another with --port (0 picks a free one).`, { cause: error }));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new WorkbenchError('BAD_INPUT', `Cannot listen on ${where}: this machine has no such address.`, { cause: error }));
      else if (error.code === 'EACCES') reject(new WorkbenchError('IO', `Not allowed to listen on ${where}; choose a port above 1023.`, { cause: error }));
      else reject(new WorkbenchError('IO', `Cannot listen on ${where}: ${error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function refuseUpgrade(socket: Duplex, status: 403 | 404 | 421, reason: string): void {
  const text = `${reason}\n`;
  const statusText = { 403: 'Forbidden', 404: 'Not Found', 421: 'Misdirected Request' }[status];
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: ${PLAIN_TEXT}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

export async function startWorkbenchServer(options: WorkbenchServerOptions): Promise<WorkbenchServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createToken();
  const machine = options.machine ?? machineNames();
  // Known once the port is: the Host headers this server answers to.
  let allowed = new Set<string>();

  const sockets = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES });
  const transport = attachWorkbenchTransport(sockets, options.service);

  /** The request's URL, parsed against its (checked) Host; undefined for anything but a path. */
  const requestUrl = (request: IncomingMessage): URL | undefined => {
    const target = request.url ?? '';
    if (!target.startsWith('/')) return undefined;
    try {
      return new URL(`http://${request.headers.host ?? 'invalid'}${target}`);
    } catch {
      return undefined;
    }
  };

  const handleRequest = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(BASELINE_HEADERS)) response.setHeader(name, value);
    const hostHeader = request.headers.host;
    if (!isAllowedHost(hostHeader, allowed)) {
      response.writeHead(421, { 'Content-Type': PLAIN_TEXT }).end('This server does not answer to that host name.\n');
      return;
    }
    response.setHeader('Content-Security-Policy', contentSecurityPolicy(hostHeader ?? ''));
    const url = requestUrl(request);
    if (!url) {
      response.writeHead(400, { 'Content-Type': PLAIN_TEXT }).end('Bad request.\n');
      return;
    }
    const auth = authenticate(token, { url, cookieHeader: request.headers.cookie });
    if (auth === 'query') {
      // The token moves into the cookie and out of the address bar (and the history).
      response.writeHead(303, { 'Set-Cookie': tokenCookieHeader(token), Location: '/', 'Cache-Control': 'no-store', 'Content-Type': PLAIN_TEXT }).end('Signed in.\n');
      return;
    }
    if (auth !== 'cookie') {
      const why = auth === 'wrong' ? 'The access token is wrong.' : 'This server needs its access token.';
      response
        .writeHead(401, { 'Content-Type': PLAIN_TEXT, 'Cache-Control': 'no-store' })
        .end(`${why} Open the URL that 'resnet-workbench serve' printed (it ends in ?${TOKEN_PARAM}=...).\n`);
      return;
    }
    if (url.pathname === WS_PATH) {
      response.writeHead(426, { 'Content-Type': PLAIN_TEXT, Upgrade: 'websocket' }).end('This address takes WebSocket connections only.\n');
      return;
    }
    if (options.downloads?.handles(url.pathname)) {
      await options.downloads.serve(request, response, url.pathname);
      return;
    }
    await serveStatic(options.rendererFolder, request, response, url.pathname);
  };

  const http = createServer((request, response) => {
    handleRequest(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': PLAIN_TEXT }).end('Internal error.\n');
      else response.destroy();
    });
  });

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const hostHeader = request.headers.host;
    if (!isAllowedHost(hostHeader, allowed)) return refuseUpgrade(socket, 421, 'This server does not answer to that host name.');
    const url = requestUrl(request);
    if (!url || url.pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'Not found.');
    const auth = authenticate(token, { url, cookieHeader: request.headers.cookie });
    if (!isAllowedWebSocketOrigin(request.headers.origin, hostHeader, allowed, auth)) {
      return refuseUpgrade(socket, 403, 'WebSocket connections are accepted from this server’s own pages, or from programs with the token in the URL.');
    }
    if (auth !== 'cookie' && auth !== 'query') return refuseUpgrade(socket, 403, 'The access token is missing or wrong.');
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  let port: number;
  try {
    port = await listen(http, host, options.port ?? 0);
  } catch (error) {
    transport.close();
    sockets.close();
    throw error;
  }
  allowed = allowedHostHeaders(host, port, machine);
  const origin = `http://${hostWithPort(isWildcardHost(host) ? machine.hostname : host, port)}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      transport.close();
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (sockets.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    })();
    return closing;
  };

  return { url: `${origin}/?${TOKEN_PARAM}=${token}`, origin, port, token, close };
}
