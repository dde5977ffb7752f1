/**
 * `electron-vite build` runs here without the Electron binary, so the desktop build is checked for
 * what Electron would otherwise only reveal at start-up: a sandboxed preload must be CommonJS and
 * require nothing but 'electron'; the main bundle must leave tfjs and native modules to node_modules;
 * the page must carry the CSP; and the paths main loads must exist in the layout the build produces.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src-main/electron-main/security';

const root = fileURLToPath(new URL('../..', import.meta.url));
const electronVite = path.join(root, 'node_modules/electron-vite/bin/electron-vite.js');
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(path.join(tmpdir(), 'workbench-electron-build-'));
  await promisify(execFile)(process.execPath, [electronVite, 'build', '--outDir', outDir, '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 16 * 1024 * 1024,
  });
}, 120_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const read = (relative: string) => readFile(path.join(outDir, relative), 'utf8');

/** Module specifiers of the static imports and require() calls in a bundle. */
function importedModules(code: string): { esm: string[]; cjs: string[] } {
  const esm = [...code.matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!);
  const cjs = [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
  return { esm, cjs };
}

describe('electron-vite build', () => {
  it('writes main where package.json "main" points', async () => {
    const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { main: string };
    // package.json points into the default out/; the test builds into a temp folder of the same layout.
    const mainRelative = path.relative('out', pkg.main);
    expect((await stat(path.join(outDir, mainRelative))).isFile()).toBe(true);
  });

  it('builds the preload as CommonJS that requires only electron (a sandboxed preload can do no more)', async () => {
    const preload = await read('preload/index.cjs');
    const { esm, cjs } = importedModules(preload);
    expect(esm).toEqual([]);
    expect(preload).not.toMatch(/^\s*export\s/m);
    expect(preload).not.toMatch(/\bimport\s*\(/);
    expect(new Set(cjs)).toEqual(new Set(['electron']));
    // Built from the contract: every channel is in it.
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).toContain('workbench:call:');
  });

  it('keeps tfjs, sharp and zod out of the main bundle (loaded from node_modules)', async () => {
    const main = await read('main/index.js');
    const { esm } = importedModules(main);
    expect(esm).toContain('electron');
    expect(esm).toContain('@tensorflow/tfjs');
    expect(esm).toContain('@tensorflow/tfjs-backend-wasm');
    // Bundled modules leave "// node_modules/<pkg>/..." markers; none may come from a dependency.
    expect(main).not.toMatch(/\/\/ node_modules\//);
    expect(main.length).toBeLessThan(500_000);
  });

  it('loads a preload and a page that exist where main looks for them', async () => {
    const main = await read('main/index.js');
    for (const relative of ['../preload/index.cjs', '../renderer/index.html']) {
      expect(main).toContain(`"${relative}"`);
      expect((await stat(path.join(outDir, 'main', relative))).isFile()).toBe(true);
    }
  });

  it('ships a page with the CSP and only relative, local assets (it is loaded from file://)', async () => {
    const html = await read('renderer/index.html');
    expect(html).toContain(`content="${CONTENT_SECURITY_POLICY}"`);
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source).toMatch(/^\.\/assets\//);
      expect((await stat(path.join(outDir, 'renderer', source))).isFile()).toBe(true);
    }
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script the CSP would block
  });

  it('keeps the renderer free of Node, Electron and the engine', async () => {
    const assets = await readdir(path.join(outDir, 'renderer/assets'));
    const scripts = assets.filter((name) => name.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const code = await read(`renderer/assets/${script}`);
      const { esm, cjs } = importedModules(code);
      expect([...esm, ...cjs].filter((m) => !m.startsWith('./'))).toEqual([]);
      expect(code).not.toMatch(/@tensorflow|ipcRenderer/);
    }
  });
});
