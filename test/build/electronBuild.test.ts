/**
 * `electron-vite build` runs here without the Electron binary, so the desktop build is checked for
 * what Electron would otherwise only reveal at start-up: a sandboxed preload must be CommonJS and
 * require nothing but 'electron'; the main bundle must leave tfjs and native modules to node_modules;
 * the page must carry the CSP; and the paths main loads must exist in the layout the build produces.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src-main/electron-main/security';
import { CALL_NAMES, PICK_PATHS_CHANNEL, SHOW_IN_FOLDER_CHANNEL, callChannel } from '../../src-main/common/contract';
import { runHarness, type CliReport, type SelfTestReport } from './runHarness';

const root = fileURLToPath(new URL('../..', import.meta.url));
const electronVite = path.join(root, 'node_modules/electron-vite/bin/electron-vite.js');
let outDir: string;

let appRoot: string;

beforeAll(async () => {
  appRoot = await mkdtemp(path.join(tmpdir(), 'workbench-electron-build-'));
  outDir = path.join(appRoot, 'out');
  await promisify(execFile)(process.execPath, [electronVite, 'build', '--outDir', outDir, '--logLevel', 'warn'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 16 * 1024 * 1024,
  });
  // As in the app, where out/ sits next to node_modules and resources/: external imports and run-time files must resolve.
  await symlink(path.join(root, 'node_modules'), path.join(appRoot, 'node_modules'), 'dir');
  await symlink(path.join(root, 'resources'), path.join(appRoot, 'resources'), 'dir');
}, 120_000);

afterAll(async () => {
  if (appRoot) await rm(appRoot, { recursive: true, force: true });
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
    // Main and the trainer process share chunks: look at every script of the main build.
    const scripts = (await readdir(path.join(outDir, 'main'))).filter((name) => name.endsWith('.js'));
    const sources = await Promise.all(scripts.map((name) => read(`main/${name}`)));
    const esm = new Set(sources.flatMap((source) => importedModules(source).esm));
    expect(esm).toContain('electron');
    // tfjs as its parts (core, layers, cpu, wasm); the umbrella would pack WebGL, converter and data too.
    expect(esm).toContain('@tensorflow/tfjs-core');
    expect(esm).toContain('@tensorflow/tfjs-layers');
    expect(esm).toContain('@tensorflow/tfjs-backend-cpu');
    expect(esm).not.toContain('@tensorflow/tfjs');
    expect(esm).toContain('@tensorflow/tfjs-backend-wasm');
    expect(esm).toContain('sharp');
    expect(esm).toContain('zod');
    // Bundled modules leave "// node_modules/<pkg>/..." markers; none may come from a dependency.
    for (const source of sources) expect(source).not.toMatch(/\/\/ node_modules\//);
    expect(sources.reduce((total, source) => total + source.length, 0)).toBeLessThan(800_000);
  });

  it('ships what the engine reads beside the bundle: the decode worker and the ONNX schema', async () => {
    const worker = await read('main/transformWorker.js');
    expect(worker).toMatch(/parentPort/);
    expect(worker).not.toMatch(/\/\/ node_modules\//);
    expect(await read('main/onnx.proto')).toMatch(/message ModelProto/);
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

interface HarnessReport {
  sandboxEnabled: boolean;
  singleInstanceLockRequested: boolean;
  dataFolder: string;
  webPreferences: Record<string, unknown>;
  loadedFile: string | undefined;
  loadedUrl: string;
  privilegedSchemes: { scheme: string; privileges: Record<string, boolean> }[];
  appProtocol: Record<'index' | 'traversal' | 'encodedTraversal' | 'otherHost', { status: number; type: string | null; csp: string | null; start: string }>;
  trainDir: string;
  unchosenScan: unknown;
  browseEtc: unknown;
  channels: string[];
  exposedName: string;
  apiKeys: string[];
  picked: string[];
  badDialog: string | undefined;
  dialogOptions: Array<Record<string, unknown>>;
  menu: string[];
  runStarted: boolean;
  runOutcome: { event: string; epochsRun?: number; error?: { code: string; message: string } };
  forks: Array<{ modulePath: string; options: Record<string, unknown> }>;
  exported: { ok: boolean; value?: { path: string; card: string; downloads?: unknown[] }; error?: { message: string } };
  shownInFolder: string[];
  showRefusals: string[];
  catalog: { ok: boolean; value?: { models: { depth: number }[] } };
  engineInfo: { ok: boolean; value?: { backend: string; versions: Record<string, string>; inference?: { engine: string; provider: string } } };
  badParams: { ok: boolean; error?: { code: string } };
  events: { backend: string }[];
  iframeRefusal: string | undefined;
  windowOpen: { action: string };
  navigationPrevented: { external: boolean; ownPage: boolean };
  permissionGranted: boolean;
  permissionCheck: boolean;
  headers: Record<string, string[]>;
}

describe('the built app, run without Electron', () => {
  // electronHarness.mjs loads out/main with a stand-in for 'electron' and runs out/preload the way
  // a sandboxed preload runs, wired to main's IPC handlers.
  let report: HarnessReport;
  const userDataRoot = path.join(tmpdir(), 'workbench-user-data');

  beforeAll(async () => {
    report = await runHarness<HarnessReport>(outDir, userDataRoot);
  }, 120_000);

  it('main parses, takes the single-instance lock and sandboxes every renderer', () => {
    expect(report.singleInstanceLockRequested).toBe(true);
    expect(report.sandboxEnabled).toBe(true);
  });

  it('opens one isolated, sandboxed window on the built page with the built preload', () => {
    expect(report.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(report.webPreferences.preload).toBe(path.join(outDir, 'preload/index.cjs'));
    // Served from the privileged app:// scheme, never file://; the handler stays in the renderer folder.
    expect(report.loadedFile).toBeUndefined();
    expect(report.loadedUrl).toBe('app://workbench/index.html');
    expect(report.privilegedSchemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(report.appProtocol.index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', csp: CONTENT_SECURITY_POLICY, start: '<!doctype html>' });
    for (const refused of [report.appProtocol.traversal, report.appProtocol.encodedTraversal, report.appProtocol.otherHost]) expect(refused.status).toBe(404);
  });

  it('gives the engine the app data folder', () => {
    expect(report.dataFolder).toBe(`${userDataRoot}/userData`);
  });

  it('registers one IPC handler per contract call, and the preload exposes one method per call', () => {
    expect(report.channels.sort()).toEqual([...CALL_NAMES.map(callChannel), PICK_PATHS_CHANNEL, SHOW_IN_FOLDER_CHANNEL].sort());
    expect(report.exposedName).toBe('workbench');
    expect(report.apiKeys.sort()).toEqual([...new Set(CALL_NAMES.map((c) => c.split('.')[0]!)), 'on', 'dialogs'].sort());
  });

  it('answers calls from the page through preload and main, with the real engine', () => {
    expect(report.catalog.ok).toBe(true);
    expect(report.catalog.value?.models.map((m) => m.depth)).toEqual([18, 34, 50, 101, 152]);
    expect(report.engineInfo.ok).toBe(true);
    expect(report.engineInfo.value?.versions.tfjs).toBe('4.22.0');
    expect(report.badParams).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(report.events.map((e) => e.backend)).toEqual([report.engineInfo.value?.backend]);
    // The frozen-network engine was asked of a utility process (see the forks below).
    expect(report.engineInfo.value?.inference).toMatchObject({ engine: 'onnxruntime', provider: 'cpu' });
  });

  it('trains a run started from the page in a utility process built beside main, never in main', () => {
    expect(report.runStarted).toBe(true);
    expect(report.runOutcome).toEqual({ event: 'run.finished', epochsRun: 1 });
    // Utility processes, all from the built worker entry: engine.info's look at ONNX Runtime, the run,
    // and the export (unless the kept engine.info worker took it).
    expect(report.forks.length).toBeGreaterThanOrEqual(2);
    for (const forked of report.forks) expect(forked.modulePath).toBe(path.join(outDir, 'main/trainerProcess.js'));
  });

  it('opens native dialogs for the page with checked options, and sets the app menu', () => {
    // The desktop path policy: nothing but what the user picked (and the app's data folder).
    expect(report.unchosenScan).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('not chosen in a dialog') } });
    expect(report.browseEtc).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(report.picked).toEqual([report.trainDir]);
    expect(report.dialogOptions).toEqual([{ title: 'Train folder', properties: ['openDirectory', 'dontAddToRecent', 'createDirectory'] }]);
    expect(report.badDialog).toMatch(/kind/);
    expect(report.menu).toEqual(['File', 'editMenu', 'View', 'windowMenu']);
  });

  it('exports into the app’s exports folder and shows what the export wrote in its folder, and nothing else', () => {
    expect(report.exported.ok, report.exported.error?.message).toBe(true);
    expect(report.exported.value?.path).toBe(`${userDataRoot}/userData/exports/harness-model.onnx`);
    // No downloads in the desktop app: the file is already on the user's computer.
    expect(report.exported.value?.downloads).toBeUndefined();
    expect(report.shownInFolder).toEqual([report.exported.value?.path]);
    expect(report.showRefusals).toEqual([expect.stringMatching(/export wrote/), expect.stringMatching(/absolute path/), expect.stringMatching(/export wrote/)]);
  });

  it('refuses IPC from an iframe, new windows, navigation away, permissions; sets the CSP header', () => {
    expect(report.iframeRefusal).toMatch(/refused/);
    expect(report.windowOpen).toEqual({ action: 'deny' });
    expect(report.navigationPrevented).toEqual({ external: true, ownPage: false });
    expect(report.permissionGranted).toBe(false);
    expect(report.permissionCheck).toBe(false);
    expect(report.headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
  });
});

describe('the built app’s --self-test and command line, run without Electron', () => {
  const userDataRoot = path.join(tmpdir(), 'workbench-user-data-modes');

  it('--self-test drives the hidden page: scan, a one-epoch run in a utility process, an export; exit 0', async () => {
    const result = await runHarness<SelfTestReport>(outDir, userDataRoot, ['--self-test']);
    expect(result.printed.at(-1)).toMatch(/^self-test passed: \w+ training, .* 5 classes, \d+ images, 1 epoch, test accuracy [\d.]+%, exported .*self-test-model\.onnx \(\d+ bytes\)$/);
    expect(result.exitCode).toBe(0);
    expect(result.shown).toBe(false);
    expect(result.executedScripts).toBe(1);
    // A folder of its own, not the user's data; no single-instance hand-over that could pass silently.
    expect(result.dataFolder).toMatch(/resnet-workbench-self-test-/);
    await expect(stat(result.dataFolder)).rejects.toThrow(/ENOENT/); // removed after
    expect(result.singleInstanceLockRequested).toBe(false);
    expect(result.forks.length).toBeGreaterThanOrEqual(1);
    for (const fork of result.forks) expect(fork.modulePath).toBe(path.join(outDir, 'main/trainerProcess.js'));
  }, 300_000);

  it('--self-test prints the failure and exits 1 when the app cannot start its work', async () => {
    const notAFolder = path.join(outDir, 'main/index.js');
    const result = await runHarness<SelfTestReport>(outDir, userDataRoot, ['--self-test'], { RESNET_WORKBENCH_DATA: notAFolder });
    expect(result.exitCode).toBe(1);
    expect(result.printed.at(-1)).toMatch(/^self-test failed: /);
  }, 120_000);

  it('runs the command line headless, from a command name or after --cli: no window, no lock', async () => {
    const info = await runHarness<CliReport>(outDir, userDataRoot, ['--cli', 'info', '--json']);
    expect(info).toMatchObject({ mode: 'cli', exitCode: 0, windows: 0, singleInstanceLockRequested: false });
    expect(JSON.parse(info.stdout.trim().split('\n').at(-1)!)).toMatchObject({ versions: { tfjs: '4.22.0' } });
    const usage = await runHarness<CliReport>(outDir, userDataRoot, ['scan', '--no-such-flag']);
    expect(usage).toMatchObject({ mode: 'cli', exitCode: 2, windows: 0 });
  }, 120_000);
});
