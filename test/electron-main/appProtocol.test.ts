import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ORIGIN, appProtocolResponse, resolveAppFile } from '../../src-main/electron-main/appProtocol';
import { appEntryFor, isAppUrl, isTrustedSender } from '../../src-main/electron-main/security';

let root: string;
let renderer: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rw-app-protocol-'));
  renderer = path.join(root, 'renderer');
  await mkdir(path.join(renderer, 'assets'), { recursive: true });
  await writeFile(path.join(renderer, 'index.html'), '<!doctype html>');
  await writeFile(path.join(renderer, 'assets', 'app.js'), 'export {}');
  await writeFile(path.join(root, 'secret.js'), 'secret');
  await symlink(path.join(root, 'secret.js'), path.join(renderer, 'assets', 'escape.js'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the app:// scheme', () => {
  it('serves the renderer folder with its type and the page policy', async () => {
    expect(await resolveAppFile('app://workbench/', renderer)).toBe(path.join(renderer, 'index.html'));
    const response = await appProtocolResponse('app://workbench/assets/app.js', renderer);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toBe('export {}');
  });

  it.each([
    'app://workbench/../secret.js',
    'app://workbench/%2e%2e/secret.js',
    'app://workbench/assets/..%2f..%2fsecret.js',
    'app://workbench/assets/escape.js',
    'app://other/index.html',
    'file:///etc/passwd',
    'app://workbench/index.html%00.js',
    'app://workbench/missing.js',
  ])('answers 404 for %s', async (url) => {
    expect((await appProtocolResponse(url, renderer)).status).toBe(404);
  });

  it('is the only origin main trusts for IPC when the app is built', () => {
    const entry = appEntryFor({ appOrigin: APP_ORIGIN, indexFileUrl: 'file:///x/index.html' });
    expect(entry).toEqual({ kind: 'app', origin: 'app://workbench' });
    expect(isAppUrl('app://workbench/index.html#/train', entry)).toBe(true);
    expect(isAppUrl('app://evil/index.html', entry)).toBe(false);
    expect(isAppUrl('file:///x/index.html', entry)).toBe(false);
    const trusted = { webContentsIds: new Set([1]), entry };
    expect(isTrustedSender({ webContentsId: 1, frameUrl: 'app://workbench/index.html', isMainFrame: true }, trusted)).toBe(true);
    expect(isTrustedSender({ webContentsId: 1, frameUrl: 'file:///x/index.html', isMainFrame: true }, trusted)).toBe(false);
  });
});
