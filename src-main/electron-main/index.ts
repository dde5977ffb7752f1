/**
 * The Electron main process: app lifecycle, the one window, its menu, its security settings and the
 * IPC transport of the contract. The engine is the same Workbench service the CLI and the browser
 * mode use; this file only wires it to Electron. Training runs in a utilityProcess per run, never here.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, utilityProcess, type WebContents } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appDataFolder, runsFolder, weightsFolder } from '../node/appPaths';
import { ChosenPaths } from '../node/service/chosenPaths';
import { Workbench } from '../node/service/workbench';
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

let mainWindow: BrowserWindow | undefined;

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

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'ResNet Workbench',
    show: false,
    webPreferences: secureWebPreferences(PRELOAD_PATH),
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(entry.kind === 'dev' ? entry.origin : APP_INDEX_URL);
  return window;
}

function start(): void {
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
    spawnWorker: () => utilityTrainerChannel(utilityProcess.fork(TRAINER_ENTRY_PATH, [], { serviceName: 'ResNet Workbench trainer', stdio: 'inherit' })),
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

  mainWindow = createWindow();
  app.on('activate', () => {
    // macOS: clicking the dock icon with no window open opens one.
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
}

// Renderers get Chromium's sandbox whatever a window's options say.
app.enableSandbox();
// Before 'ready': the app:// scheme is standard and secure (a real origin, a secure context).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
app.on('web-contents-created', (_event, contents) => lockDown(contents));

if (!app.requestSingleInstanceLock()) {
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
  void app.whenReady().then(start);
}
