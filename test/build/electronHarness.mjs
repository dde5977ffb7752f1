// Runs the built app without Electron: the main bundle (ESM) with 'electron' replaced by
// electronStub.mjs, and the preload bundle (CommonJS) the way a sandboxed preload runs — given a
// `require` that only knows 'electron'. The preload's window.workbench then talks to main's IPC
// handlers through a fake ipcRenderer. Prints one JSON object describing what happened, as its last line.
//   node test/build/electronHarness.mjs <electron-vite outDir> <userData root>
// With `--self-test` main runs the packaged app's self-test (the page script runs against the preload's
// window.workbench), with `--cli <command…>` the command line; the harness reports the exit code.
import { register } from 'node:module';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const [outDir, userDataRoot, ...modeArgs] = process.argv.slice(2);
const selfTest = modeArgs.includes('--self-test');
const stubUrl = new URL('./electronStub.mjs', import.meta.url).href;

const rendererListeners = new Map();
const stub = {
  userDataRoot,
  appListeners: {},
  handlers: new Map(),
  windows: [],
  sent: [],
  forks: [],
  dialogs: [],
  opened: [],
  shownInFolder: [],
  protocolHandlers: {},
  deliverToRenderer(channel, payload) {
    for (const listener of rendererListeners.get(channel) ?? []) listener({ senderId: 0 }, payload);
  },
};
globalThis.__electronStub = stub;
let pageReady;
stub.pageReady = new Promise((resolve) => (pageReady = resolve));
const exited = new Promise((resolve) => (stub.onExit = resolve));
// The self-test's outcome is what main prints: keep it out of stdout, which ends with the report.
const printed = [];
if (selfTest) {
  console.log = (...args) => printed.push(args.join(' '));
  console.error = (...args) => printed.push(args.join(' '));
}
const report = (value) => process.stdout.write(`${JSON.stringify(value)}\n`, () => process.exit(0));
const waitFor = async (get) => {
  for (let i = 0; i < 600 && !get(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return get();
};

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: ${JSON.stringify(stubUrl)}, shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

// Main reads its arguments as a packaged app gets them: the executable, then what the user typed.
process.argv = [process.execPath, ...modeArgs];
await import(pathToFileURL(path.join(outDir, 'main/index.js')).href);
// Main opens a window, or (the command line) runs and exits without one.
let exitCode;
void exited.then((code) => (exitCode = code));
const window = await waitFor(() => stub.windows[0] ?? (exitCode !== undefined || undefined)); // app.whenReady().then(start)
if (window === true) {
  report({ mode: 'cli', exitCode, windows: stub.windows.length, singleInstanceLockRequested: stub.singleInstanceLockRequested === true, forks: stub.forks });
  await new Promise(() => {});
}
const pageUrl = window.loadedUrl;
// What the app:// handler answers: the page, and nothing outside the renderer folder.
const appRequest = async (url) => {
  const response = await stub.protocolHandlers.app({ url });
  return { status: response.status, type: response.headers.get('content-type'), csp: response.headers.get('content-security-policy'), start: (await response.text()).slice(0, 15) };
};
const appProtocol = {
  index: await appRequest('app://workbench/index.html'),
  traversal: await appRequest('app://workbench/../../main/index.js'),
  encodedTraversal: await appRequest('app://workbench/%2e%2e/main/index.js'),
  otherHost: await appRequest('app://elsewhere/index.html'),
};
const trustedEvent = { sender: { id: window.webContents.id }, senderFrame: { url: pageUrl, parent: null } };
const iframeEvent = { sender: { id: window.webContents.id }, senderFrame: { url: pageUrl, parent: {} } };

// The preload, as Electron runs a sandboxed one.
let exposed;
const ipcRenderer = {
  invoke: (channel, ...args) => {
    const handler = stub.handlers.get(channel);
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return handler(trustedEvent, ...args);
  },
  on: (channel, listener) => {
    if (!rendererListeners.has(channel)) rendererListeners.set(channel, new Set());
    rendererListeners.get(channel).add(listener);
  },
  removeListener: (channel, listener) => rendererListeners.get(channel)?.delete(listener),
};
const electronForPreload = {
  contextBridge: {
    exposeInMainWorld: (name, api) => {
      exposed = { name, api };
    },
  },
  ipcRenderer,
};
const sandboxRequire = (id) => {
  if (id === 'electron') return electronForPreload;
  throw new Error(`a sandboxed preload cannot require '${id}'`);
};
const preloadSource = await readFile(path.join(outDir, 'preload/index.cjs'), 'utf8');
const module = { exports: {} };
new vm.Script(`(function (require, module, exports) {${preloadSource}\n})`, { filename: 'preload/index.cjs' })
  .runInThisContext()(sandboxRequire, module, module.exports);

const api = exposed.api;
stub.pageWindow = { workbench: api };
pageReady();
if (selfTest) {
  report({
    mode: 'self-test',
    exitCode: await exited,
    printed,
    dataFolder: process.env.RESNET_WORKBENCH_DATA,
    shown: window.shown === true,
    singleInstanceLockRequested: stub.singleInstanceLockRequested === true,
    executedScripts: stub.executedScripts ?? 0,
    forks: stub.forks,
  });
  await new Promise(() => {});
}
const events = [];
const unsubscribe = api.on('engine.ready', (payload) => events.push(payload));
const catalog = await api.models.catalog();
const engineInfo = await api.engine.info();
const badParams = await api.engine.info({ unexpected: true });
unsubscribe();

// The desktop path policy: a folder the user never chose is refused...
const { default: sharp } = await import('sharp');
const trainDir = await mkdtemp(path.join(tmpdir(), 'workbench-harness-train-'));
for (const [name, colour] of [['blue', '#1e3cdc'], ['red', '#dc2828']]) {
  await mkdir(path.join(trainDir, name));
  for (let i = 0; i < 4; i++) {
    await sharp({ create: { width: 24, height: 24, channels: 3, background: colour } }).png().toFile(path.join(trainDir, name, `${i}.png`));
  }
}
const unchosenScan = await api.dataset.scan({ train: trainDir });
const browseEtc = await api.files.browse({ path: '/etc' });

// ...until it is picked in the native dialog, through preload and main's checked handler.
stub.nextPick = trainDir;
const picked = await api.dialogs.pickPaths({ kind: 'folder', title: 'Train folder' });
let badDialog;
try {
  await api.dialogs.pickPaths({ kind: 'anything' });
} catch (error) {
  badDialog = error.message;
}

// A tiny run, started from the page: it must train in a utility process, not in main.
const ended = new Promise((resolve) => {
  api.on('run.finished', (payload) => resolve({ event: 'run.finished', epochsRun: payload.epochsRun }));
  api.on('run.failed', (payload) => resolve({ event: 'run.failed', error: payload.error }));
});
const started = await api.runs.start({ config: { trainDir, weights: 'none', imageSize: 32, epochs: 1, batchSize: 4, augment: false, valSplit: 0.5 } });
const runOutcome = await ended;

// Export the run into the app's exports folder (replacing an earlier test's: the user-data folder is kept between runs); "Show in folder" shows what it wrote, and nothing else.
const exported = await api.models.export({ runId: started.value.runId, format: 'onnx', name: 'harness-model', force: true });
const showRefusals = [];
if (exported.ok) await api.dialogs.showInFolder(exported.value.path);
for (const target of ['/etc/passwd', 'relative/path', `${exported.value?.path ?? '/x'}/../../..`]) {
  try {
    await api.dialogs.showInFolder(target);
    showRefusals.push('shown');
  } catch (error) {
    showRefusals.push(error.message);
  }
}

let iframeRefusal;
try {
  await stub.handlers.get('workbench:call:engine.info')(iframeEvent, undefined);
} catch (error) {
  iframeRefusal = error.message;
}

const contents = window.webContents;
const navigation = (url) => {
  let prevented = false;
  const event = { url, preventDefault: () => (prevented = true) };
  for (const listener of contents.listeners['will-navigate'] ?? []) listener(event, url);
  return prevented;
};
let permissionGranted;
stub.permissionRequestHandler(contents, 'media', (granted) => (permissionGranted = granted));
let headers;
stub.headersHandler({ responseHeaders: { 'Content-Type': ['text/html'] } }, (response) => (headers = response.responseHeaders));

report(
  {
    sandboxEnabled: stub.sandboxEnabled === true,
    singleInstanceLockRequested: stub.singleInstanceLockRequested === true,
    dataFolder: process.env.RESNET_WORKBENCH_DATA,
    webPreferences: window.options.webPreferences,
    loadedFile: window.loadedFile,
    loadedUrl: window.loadedUrl,
    privilegedSchemes: stub.privilegedSchemes,
    appProtocol,
    trainDir,
    unchosenScan,
    browseEtc,
    channels: [...stub.handlers.keys()],
    exposedName: exposed.name,
    apiKeys: Object.keys(api),
    catalog,
    engineInfo,
    badParams,
    events,
    iframeRefusal,
    windowOpen: contents.windowOpenHandler({ url: 'https://example.com/' }),
    navigationPrevented: { external: navigation('https://example.com/'), ownPage: navigation(pageUrl) },
    permissionGranted,
    permissionCheck: stub.permissionCheckHandler(contents, 'clipboard-read'),
    headers,
    picked,
    badDialog,
    dialogOptions: stub.dialogs,
    menu: stub.menu,
    runStarted: started.ok,
    runOutcome,
    forks: stub.forks,
    exported,
    shownInFolder: stub.shownInFolder,
    showRefusals,
  },
);
