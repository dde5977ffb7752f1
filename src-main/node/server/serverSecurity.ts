/**
 * The browser mode's security decisions as pure functions on plain values, so each one is tested on
 * its own; workbenchServer.ts only wires them to node:http.
 *
 * - A random token is always required. The first request carries it in the URL (`/?token=T`); the
 *   server moves it into an HttpOnly SameSite=Strict cookie and redirects, so it leaves the address bar.
 * - The Host header must name this server: a page on another domain that re-resolves its name to
 *   127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
 * - The WebSocket's Origin must be this server's own origin: a page elsewhere cannot drive the engine.
 *   A handshake without any Origin is not from a browser (browsers always send one); a program may
 *   connect that way with the token in the URL, never on a cookie alone.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';

/** The prefix of the cookie that carries the token after the first request. */
export const TOKEN_COOKIE = 'rw_token';

/**
 * The cookie's name for the server whose token is `token`: `rw_token_` and 12 hex digits of the
 * token's SHA-256. Cookies are scoped by host, not port, so every server on 127.0.0.1 would otherwise
 * share (and overwrite) one `rw_token`; a name per instance keeps two servers signed in side by side.
 * (`__Host-` needs `Secure`, which a browser does not reliably send over http://127.0.0.1.) The hash
 * says nothing usable about the token.
 */
export function tokenCookieName(token: string): string {
  return `${TOKEN_COOKIE}_${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

/** The query parameter of the URL the server prints. */
export const TOKEN_PARAM = 'token';

/** 32 random bytes, base64url (43 characters). */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens given with `--token`: long enough not to be guessed, and safe in a URL and a cookie. */
export function checkTokenFormat(token: string): string | undefined {
  if (token.length < 16) return 'the token must be at least 16 characters long';
  if (token.length > 256) return 'the token must be at most 256 characters long';
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return 'the token may hold only letters, digits, - and _';
  return undefined;
}

/**
 * Whether `given` is the token. The comparison takes the same time wherever the strings differ
 * (timingSafeEqual needs equal lengths; a length mismatch says nothing about the content).
 */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** The Set-Cookie value that stores the token (no Max-Age: it lasts as long as the browser session). */
export function tokenCookieHeader(token: string): string {
  return `${tokenCookieName(token)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** One cookie's value from a Cookie header; undefined when absent (or given twice, which we do not guess about). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const values = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

/** How a request proved it holds the token. */
export type Authentication = 'cookie' | 'query' | 'none' | 'wrong';

/**
 * Checks the token of a request: the `token` query parameter (first visit, or a program's WebSocket)
 * or the cookie. A wrong token in the query is 'wrong' even when the cookie is right, so a mistyped
 * URL is reported rather than hidden.
 */
export function authenticate(expected: string, request: { url: URL; cookieHeader: string | undefined }): Authentication {
  const fromQuery = request.url.searchParams.getAll(TOKEN_PARAM);
  if (fromQuery.length > 0) return fromQuery.length === 1 && tokenMatches(expected, fromQuery[0]) ? 'query' : 'wrong';
  const fromCookie = readCookie(request.cookieHeader, tokenCookieName(expected));
  if (fromCookie === undefined) return 'none';
  return tokenMatches(expected, fromCookie) ? 'cookie' : 'wrong';
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD_HOSTS = ['0.0.0.0', '::', ''];

/** Whether a bind address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = stripBrackets(host).toLowerCase();
  return LOOPBACK_NAMES.includes(bare) || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.includes(stripBrackets(host));
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `host:port` as it appears in a Host header or a URL (IPv6 literals in brackets). */
export function hostWithPort(host: string, port: number): string {
  const bare = stripBrackets(host);
  return `${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

export interface MachineNames {
  /** The machine's name (os.hostname()). */
  hostname: string;
  /** The addresses of its network interfaces. */
  addresses: string[];
}

export function machineNames(): MachineNames {
  const addresses = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((entry) => entry.address);
  return { hostname: hostname(), addresses };
}

/**
 * The Host header values this server answers to, lowercase `host:port`: the bind address; the
 * loopback names when bound to loopback; and, when bound to every interface, the machine's name and
 * addresses (a browser elsewhere reaches it by one of those — never by some other domain).
 */
export function allowedHostHeaders(bindHost: string, port: number, machine: MachineNames = machineNames()): Set<string> {
  const names = new Set<string>();
  if (isWildcardHost(bindHost)) {
    for (const name of [...LOOPBACK_NAMES, machine.hostname, ...machine.addresses]) names.add(name);
  } else {
    names.add(stripBrackets(bindHost));
    if (isLoopbackHost(bindHost)) for (const name of LOOPBACK_NAMES) names.add(name);
  }
  return new Set([...names].filter((name) => name.length > 0).map((name) => hostWithPort(name, port).toLowerCase()));
}

/** Whether a request's Host header names this server. */
export function isAllowedHost(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!hostHeader) return false;
  return allowed.has(hostHeader.trim().toLowerCase());
}

/**
 * Whether a WebSocket handshake comes from a page of this server: its Origin must be exactly
 * `http://` plus the (already checked) Host the request was sent to.
 */
/**
 * Whether a WebSocket handshake may proceed as far as its origin goes: from this server's own pages,
 * or with no Origin at all (a program, not a browser) when the token is in the URL.
 */
export function isAllowedWebSocketOrigin(originHeader: string | undefined, hostHeader: string | undefined, allowed: ReadonlySet<string>, auth: Authentication): boolean {
  if (originHeader === undefined) return auth === 'query' && isAllowedHost(hostHeader, allowed);
  return isOwnOrigin(originHeader, hostHeader, allowed);
}

export function isOwnOrigin(originHeader: string | undefined, hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!originHeader || !isAllowedHost(hostHeader, allowed)) return false;
  return originHeader.trim().toLowerCase() === `http://${(hostHeader ?? '').trim().toLowerCase()}`;
}

/**
 * The page's Content-Security-Policy: everything from this server only, plus its WebSocket (older
 * Chromium does not count ws: as 'self'); inline styles because Vue binds `style` attributes.
 */
export function contentSecurityPolicy(hostHeader: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `connect-src 'self' ws://${hostHeader}`,
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every response carries, errors included. */
export const BASELINE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
