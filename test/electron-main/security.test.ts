import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  appEntryFor,
  isAllowedNavigation,
  isAppUrl,
  isTrustedSender,
  secureWebPreferences,
  senderFactsOf,
  withContentSecurityPolicy,
  type AppEntry,
  type SenderFacts,
} from '../../src-main/electron-main/security';

const indexFileUrl = pathToFileURL('/opt/ResNet Workbench/resources/app.asar/out/renderer/index.html').href;
const built: AppEntry = appEntryFor({ indexFileUrl });
const dev: AppEntry = appEntryFor({ devServerUrl: 'http://localhost:5173/', indexFileUrl });

describe('the app entry', () => {
  it('is the dev server when electron-vite dev gives one, else the built index.html', () => {
    expect(built).toEqual({ kind: 'file', url: indexFileUrl });
    expect(dev).toEqual({ kind: 'dev', origin: 'http://localhost:5173' });
  });
});

describe('isAppUrl / isAllowedNavigation', () => {
  it('accepts the app page itself, with any query or fragment', () => {
    expect(isAppUrl(indexFileUrl, built)).toBe(true);
    expect(isAppUrl(`${indexFileUrl}#/runs/3`, built)).toBe(true);
    expect(isAllowedNavigation(`${indexFileUrl}?tab=data`, built)).toBe(true);
  });

  it('accepts the page however Chromium encodes its path, and any drive-letter case on Windows', () => {
    const folder = pathToFileURL('/opt/lab;1/out/renderer/index.html').href;
    expect(folder).toContain('lab;1');
    const entry = appEntryFor({ indexFileUrl: folder });
    expect(isAppUrl('file:///opt/lab%3B1/out/renderer/index.html', entry)).toBe(true);
    const windows = appEntryFor({ indexFileUrl: 'file:///C:/Program%20Files/ResNet%20Workbench/resources/app.asar/out/renderer/index.html' });
    expect(isAppUrl('file:///c:/Program%20Files/ResNet%20Workbench/resources/app.asar/out/renderer/index.html', windows)).toBe(true);
    expect(isAppUrl('file:///c:/Program%20Files/ResNet%20Workbench/resources/app.asar/out/renderer/other.html', windows)).toBe(false);
    // Case matters where file systems are case-sensitive.
    expect(isAppUrl(indexFileUrl.replace('renderer', 'Renderer'), built)).toBe(false);
  });

  it('refuses other files, other schemes, remote pages and garbage', () => {
    for (const url of [
      pathToFileURL('/opt/ResNet Workbench/resources/app.asar/out/renderer/other.html').href,
      pathToFileURL('/etc/passwd').href,
      'file://evil.example/opt/ResNet%20Workbench/resources/app.asar/out/renderer/index.html',
      'https://example.com/',
      'http://localhost:5173/',
      'javascript:alert(1)',
      'not a url',
      '',
    ]) {
      expect(isAllowedNavigation(url, built), url).toBe(false);
    }
  });

  it('in development accepts only the dev server’s origin', () => {
    expect(isAppUrl('http://localhost:5173/src/main.ts', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false);
    expect(isAppUrl(indexFileUrl, dev)).toBe(false);
  });
});

describe('isTrustedSender', () => {
  const trusted = { webContentsIds: new Set([7]), entry: built };
  const good: SenderFacts = { webContentsId: 7, frameUrl: indexFileUrl, isMainFrame: true };

  it('accepts our window’s main frame showing our page', () => {
    expect(isTrustedSender(good, trusted)).toBe(true);
  });

  it('refuses another webContents, a subframe, a foreign page or a vanished frame', () => {
    expect(isTrustedSender({ ...good, webContentsId: 8 }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, isMainFrame: false }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'https://example.com/' }, trusted)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: undefined }, trusted)).toBe(false);
    expect(isTrustedSender(good, { ...trusted, webContentsIds: new Set() })).toBe(false);
  });
});

describe('senderFactsOf', () => {
  const mainFrame = { url: indexFileUrl, parent: null };

  it('reads id, URL and whether the frame is the main frame', () => {
    expect(senderFactsOf({ sender: { id: 3 }, senderFrame: mainFrame })).toEqual({
      webContentsId: 3,
      frameUrl: indexFileUrl,
      isMainFrame: true,
    });
  });

  it('treats an iframe or a vanished frame as not main', () => {
    const iframe = { url: indexFileUrl, parent: mainFrame };
    expect(senderFactsOf({ sender: { id: 3 }, senderFrame: iframe }).isMainFrame).toBe(false);
    expect(senderFactsOf({ sender: { id: 3 }, senderFrame: null })).toEqual({
      webContentsId: 3,
      frameUrl: undefined,
      isMainFrame: false,
    });
  });
});

describe('Content-Security-Policy', () => {
  it('allows scripts from the app only: no inline scripts, no eval, no remote hosts', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }));
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('is the one the renderer’s index.html carries', () => {
    const html = readFileSync(new URL('../../src-renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
  });

  it('replaces whatever policy a response brought and keeps its other headers', () => {
    const headers = withContentSecurityPolicy({ 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] });
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the page and keeps Node out of it', () => {
    expect(secureWebPreferences('/app/out/preload/index.cjs')).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});
