import { describe, expect, it } from 'vitest';
import {
  allowedHostHeaders,
  authenticate,
  checkTokenFormat,
  contentSecurityPolicy,
  createToken,
  isAllowedHost,
  isLoopbackHost,
  isOwnOrigin,
  readCookie,
  tokenCookieHeader,
  tokenCookieName,
  tokenMatches,
} from '../../../src-main/node/server/serverSecurity';

const machine = { hostname: 'gpu-box', addresses: ['127.0.0.1', '::1', '10.1.2.3', 'fe80::1'] };

describe('tokens', () => {
  it('are 32 random bytes in base64url, different each time', () => {
    const a = createToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(createToken()).not.toBe(a);
  });

  it('match only exactly, whatever the length of the guess', () => {
    const token = createToken();
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, `${token.slice(0, -1)}x`)).toBe(token.endsWith('x'));
    expect(tokenMatches(token, token.slice(0, 10))).toBe(false);
    expect(tokenMatches(token, `${token}a`)).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
    expect(tokenMatches(token, null)).toBe(false);
  });

  it('given with --token must be long and URL-safe', () => {
    expect(checkTokenFormat('short')).toMatch(/at least 16/);
    expect(checkTokenFormat('a'.repeat(300))).toMatch(/at most 256/);
    expect(checkTokenFormat('abcdefghijklmnop;x')).toMatch(/letters, digits/);
    expect(checkTokenFormat('abcdefghijklmnop_-9')).toBeUndefined();
  });
});

describe('the token cookie', () => {
  it('is HttpOnly, SameSite=Strict and for the whole site', () => {
    expect(tokenCookieHeader('T0k')).toBe(`${tokenCookieName('T0k')}=T0k; HttpOnly; SameSite=Strict; Path=/`);
  });

  it('is read from a Cookie header; a doubled cookie is not guessed about', () => {
    expect(readCookie('a=1; rw_token=abc; b=2', 'rw_token')).toBe('abc');
    expect(readCookie('xrw_token=abc', 'rw_token')).toBeUndefined();
    expect(readCookie('rw_token=abc; rw_token=def', 'rw_token')).toBeUndefined();
    expect(readCookie(undefined, 'rw_token')).toBeUndefined();
  });
});

describe('authenticate', () => {
  const token = 'the-right-token-0123456789';
  const at = (url: string, cookieHeader?: string) => authenticate(token, { url: new URL(url, 'http://127.0.0.1:1'), cookieHeader });

  it('accepts the token in the query or in the cookie', () => {
    expect(at(`/?token=${token}`)).toBe('query');
    expect(at('/', `${tokenCookieName(token)}=${token}`)).toBe('cookie');
    // Another server's cookie (another port, same host) is not this server's.
    expect(at('/', `rw_token=${token}`)).toBe('none');
  });

  it('tells a missing token from a wrong one; a wrong query token is wrong even with a good cookie', () => {
    expect(at('/')).toBe('none');
    expect(at('/?token=nope')).toBe('wrong');
    expect(at('/', `${tokenCookieName(token)}=nope`)).toBe('wrong');
    expect(at('/?token=nope', `${tokenCookieName(token)}=${token}`)).toBe('wrong');
    expect(at(`/?token=${token}&token=${token}`)).toBe('wrong');
  });
});

describe('Host and Origin', () => {
  it('loopback: the bind address and the loopback names on the same port only', () => {
    const allowed = allowedHostHeaders('127.0.0.1', 8123, machine);
    expect([...allowed].sort()).toEqual(['127.0.0.1:8123', '[::1]:8123', 'localhost:8123']);
    expect(isAllowedHost('LOCALHOST:8123', allowed)).toBe(true);
    expect(isAllowedHost('localhost:8124', allowed)).toBe(false);
    expect(isAllowedHost('localhost', allowed)).toBe(false);
    expect(isAllowedHost('evil.example:8123', allowed)).toBe(false);
    expect(isAllowedHost('gpu-box:8123', allowed)).toBe(false);
    expect(isAllowedHost(undefined, allowed)).toBe(false);
  });

  it('a named or addressed host: that name only', () => {
    expect([...allowedHostHeaders('10.1.2.3', 80, machine)]).toEqual(['10.1.2.3:80']);
    expect([...allowedHostHeaders('::1', 80, machine)].sort()).toEqual(['127.0.0.1:80', '[::1]:80', 'localhost:80']);
  });

  it('every interface: the machine’s name and addresses, never another domain', () => {
    const allowed = allowedHostHeaders('0.0.0.0', 7860, machine);
    for (const host of ['gpu-box:7860', '10.1.2.3:7860', '[fe80::1]:7860', 'localhost:7860']) expect(isAllowedHost(host, allowed), host).toBe(true);
    expect(isAllowedHost('rebound.attacker.example:7860', allowed)).toBe(false);
  });

  it('a WebSocket Origin must be this server’s own, with the Host the request was sent to', () => {
    const allowed = allowedHostHeaders('127.0.0.1', 8123, machine);
    expect(isOwnOrigin('http://127.0.0.1:8123', '127.0.0.1:8123', allowed)).toBe(true);
    expect(isOwnOrigin('http://localhost:8123', '127.0.0.1:8123', allowed)).toBe(false);
    expect(isOwnOrigin('https://127.0.0.1:8123', '127.0.0.1:8123', allowed)).toBe(false);
    expect(isOwnOrigin('http://evil.example', '127.0.0.1:8123', allowed)).toBe(false);
    expect(isOwnOrigin('null', '127.0.0.1:8123', allowed)).toBe(false);
    expect(isOwnOrigin(undefined, '127.0.0.1:8123', allowed)).toBe(false);
    expect(isOwnOrigin('http://evil.example:8123', 'evil.example:8123', allowed)).toBe(false);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.9.9.9', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'gpu-box']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('contentSecurityPolicy', () => {
  it('allows only this server, its WebSocket, data: images and no framing', () => {
    const csp = contentSecurityPolicy('127.0.0.1:8123');
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:8123");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
  });
});
