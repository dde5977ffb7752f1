/**
 * The Electron main process: app lifecycle, the one window, its menu, its security settings and the
 * IPC transport of the contract. The engine is the same Workbench service the CLI and the browser
 * mode use; this file only wires it to Electron. Training runs in a utilityProcess per run, never here.
 * The same binary runs the command line (`resnet-workbench train …`) and the packaged app's
 * `--self-test` (launchMode.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess, type WebContents } from 'electron';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appDataFolder, runsFolder, weightsFolder } from '../node/appPaths';
import { sampleDatasetFolder } from '../node/runtimePaths';
import { ChosenPaths } from '../node/service/chosenPaths';
import type { TrainerChannel } from '../node/service/trainerHost';
import { Workbench } from '../node/service/workbench';
import { appArguments, launchModeFor, type LaunchMode } from './launchMode';
import { describeSelfTest, selfTestPageScript, selfTestProblems, type SelfTestPlan, type SelfTestSummary } from './selfTest';
import { APP_INDEX_URL, APP_ORIGIN, APP_SCHEME, APP_SCHEME_PRIVILEGES, appProtocolResponse } from './appProtocol';
import { registerDialogHandler, registerShowInFolderHandler, WrittenExports } from './dialogs';
import { registerContractHandlers, sendEvent } from './ipc';
import { applicationMenuTemplate } from './menu';
import { utilityTrainerChannel } from './trainerChannel';
import {
  appEntryFor,
  isAllowedNavigation,
  secureWebPreferences,
  withContentSecurityPolicy,
  type AppEntry,
} from './security';

/** Built layout (electron-vite): out/main/index.js, out/preload/index.cjs, out/renderer/index.html. */
const PRELOAD_PATH = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const RENDERER_INDEX_PATH = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
/** The trainer process's entry, built beside main (electron.vite.config.ts). */
const TRAINER_ENTRY_PATH = fileURLToPath(new URL('./trainerProcess.js', import.meta.url));

const entry: AppEntry = appEntryFor({
  // Set by `electron-vite dev` only; a packaged app always loads its own files.
  devServerUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL,
  // The built page comes from app://workbench/, a privileged scheme of its own, never from file://.
  appOrigin: APP_ORIGIN,
});

const mode: LaunchMode = launchModeFor(appArguments(process.argv, process.defaultApp === true));

let mainWindow: BrowserWindow | undefined;

/** Utility processes started so far (the self-test checks that its run used one). */
let workersStarted = 0;

/** A worker process for the engine's jobs: an Electron utility process running the built trainer entry. */
function startTrainerProcess(): TrainerChannel {
  workersStarted += 1;
  return utilityTrainerChannel(utilityProcess.fork(TRAINER_ENTRY_PATH, [], { serviceName: 'ResNet Workbench trainer', stdio: 'inherit' }));
}

/** Rules for every webContents the app ever creates, windows or not. */
function lockDown(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!isAllowedNavigation(event.url, entry)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAllowedNavigation(event.url, entry)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function lockDownSession(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  });
}

/** The window; hidden for the self-test. Resolves once the page has loaded. */
function createWindow(visible = true): { window: BrowserWindow; loaded: Promise<void> } {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'ResNet Workbench',
    show: false,
    webPreferences: secureWebPreferences(PRELOAD_PATH),
  });
  if (visible) window.once('ready-to-show', () => window.show());
  const loaded = window.loadURL(entry.kind === 'dev' ? entry.origin : APP_INDEX_URL);
  // The window reports a failed load itself; only the self-test waits on it.
  loaded.catch(() => undefined);
  return { window, loaded };
}

/**
 * `--self-test`: a one-epoch run on the bundled sample and an export, driven from the hidden page
 * through the preload and IPC like a user's session (selfTest.ts). Prints the outcome, exits 0 or 1.
 */
async function runSelfTest(window: BrowserWindow, loaded: Promise<void>, plan: SelfTestPlan): Promise<void> {
  const timeout = setTimeout(() => {
    console.error('self-test failed: no answer within 15 minutes');
    app.exit(1);
  }, 15 * 60_000);
  let exitCode = 1;
  try {
    await loaded;
    const summary = (await window.webContents.executeJavaScript(selfTestPageScript(plan))) as SelfTestSummary;
    const exportBytes = await stat(summary.exportPath).then((info) => info.size, () => 0);
    const problems = selfTestProblems(summary, plan, exportBytes, workersStarted);
    if (problems.length > 0) {
      console.error(`self-test failed: ${problems.join('; ')}`);
    } else {
      console.log(describeSelfTest(summary, exportBytes));
      exitCode = 0;
    }
  } catch (error) {
    console.error(`self-test failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timeout);
  }
  if (selfTestFolder) await rm(selfTestFolder, { recursive: true, force: true }).catch(() => undefined);
  app.exit(exitCode);
}

/** The self-test's own data folder, made for it and removed after it. */
let selfTestFolder: string | undefined;

async function start(): Promise<void> {
  // The self-test works in a fresh folder of its own, never in the user's data.
  if (mode.kind === 'self-test' && !process.env.RESNET_WORKBENCH_DATA) {
    selfTestFolder = await mkdtemp(path.join(tmpdir(), 'resnet-workbench-self-test-'));
    process.env.RESNET_WORKBENCH_DATA = selfTestFolder;
  }
  // The engine keeps weights and runs in the app's data folder unless the variable names another.
  process.env.RESNET_WORKBENCH_DATA ||= app.getPath('userData');
  // The engine touches only what the user picked in a native dialog and the app's data folder.
  const chosen = new ChosenPaths(appDataFolder());
  const written = new WrittenExports();
  const workbench = new Workbench({
    pathPolicy: chosen.policy(),
    // What an export wrote may be shown in its folder (and nothing else).
    onExported: (result) => {
      written.add(result.path, result.card);
      return [];
    },
    browseRoots: () => [appDataFolder()],
    spawnWorker: startTrainerProcess,
  });

  void workbench.removeStaleTempFiles().catch(() => undefined);
  protocol.handle(APP_SCHEME, (request) => appProtocolResponse(request.url, path.dirname(RENDERER_INDEX_PATH)));
  lockDownSession();
  const trusted = () => ({
    webContentsIds: new Set(mainWindow && !mainWindow.isDestroyed() ? [mainWindow.webContents.id] : []),
    entry,
  });
  registerContractHandlers(ipcMain, workbench, trusted);
  registerDialogHandler(
    ipcMain,
    (options) => (mainWindow && !mainWindow.isDestroyed() ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options)),
    trusted,
    console.warn,
    (paths) => chosen.add(paths),
  );
  registerShowInFolderHandler(ipcMain, (fullPath) => shell.showItemInFolder(fullPath), written, trusted);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      applicationMenuTemplate({
        platform: process.platform,
        isPackaged: app.isPackaged,
        showRunsFolder: () => void shell.openPath(runsFolder()),
        showWeightsFolder: () => void shell.openPath(weightsFolder()),
      }),
    ),
  );
  // A run still training when the app quits is cancelled, keeping its last checkpoint.
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing || !workbench.runs.activeRunId()) return;
    event.preventDefault();
    closing = true;
    void workbench.close().finally(() => app.quit());
  });
  workbench.onEvent((message) => {
    if (mainWindow && !mainWindow.isDestroyed()) sendEvent((channel, payload) => mainWindow?.webContents.send(channel, payload), message);
  });

  if (mode.kind === 'self-test') {
    const sample = sampleDatasetFolder();
    await chosen.add([sample]);
    const plan = { trainDir: path.join(sample, 'train'), testDir: path.join(sample, 'test'), exportPath: path.join(appDataFolder(), 'self-test-model.onnx') };
    const { window, loaded } = createWindow(false);
    mainWindow = window;
    await runSelfTest(window, loaded, plan);
    return;
  }
  mainWindow = createWindow().window;
  app.on('activate', () => {
    // macOS: clicking the dock icon with no window open opens one.
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow().window;
  });
}

/**
 * The command line, headless: no window, no single-instance lock (the window may be open), the app's
 * data folder, and `serve` runs its jobs in utility processes (this binary cannot run as Node).
 */
async function runCommandLine(args: readonly string[]): Promise<void> {
  process.env.RESNET_WORKBENCH_DATA ||= app.getPath('userData');
  const { runCli } = await import('../node/cli/main');
  const code = await runCli([process.execPath, 'resnet-workbench', ...args], { streams: process, spawnWorker: startTrainerProcess });
  app.exit(code);
}

// Renderers get Chromium's sandbox whatever a window's options say.
app.enableSandbox();
// Before 'ready': the app:// scheme is standard and secure (a real origin, a secure context).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
app.on('web-contents-created', (_event, contents) => lockDown(contents));

if (mode.kind === 'cli') {
  void app
    .whenReady()
    .then(() => runCommandLine(mode.args))
    .catch((error: unknown) => {
      console.error(`resnet-workbench: ${error instanceof Error ? error.message : String(error)}`);
      app.exit(1);
    });
} else if (mode.kind === 'window' && !app.requestSingleInstanceLock()) {
  // Another instance owns the data folder: hand over to it (it focuses its window) and leave.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // The self-test takes no lock: it works in a folder of its own, and must not pass by handing over.
  void app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      console.error(`${mode.kind === 'self-test' ? 'self-test failed' : 'start-up failed'}: ${error instanceof Error ? error.message : String(error)}`);
      if (mode.kind === 'self-test') app.exit(1);
    });
}
