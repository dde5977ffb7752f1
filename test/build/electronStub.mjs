// A stand-in for the 'electron' module, for running the built main bundle in plain Node (Electron
// cannot run on the build machines). It records what main does with the API; the harness that
// loads it (electronHarness.mjs) puts the shared record on globalThis.__electronStub first.
import { fork } from 'node:child_process';

const stub = globalThis.__electronStub;

class FakeWebContents {
  constructor(id) {
    this.id = id;
    this.listeners = {};
    this.windowOpenHandler = undefined;
  }
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
  on(event, listener) {
    (this.listeners[event] ??= []).push(listener);
    return this;
  }
  send(channel, payload) {
    stub.sent.push({ channel, payload });
    stub.deliverToRenderer(channel, payload);
  }
  /** Runs page code with the page's globals: window.workbench, once the harness has loaded the preload. */
  async executeJavaScript(code) {
    await stub.pageReady;
    stub.executedScripts = (stub.executedScripts ?? 0) + 1;
    return new Function('window', `return (${code});`)(stub.pageWindow);
  }
}

export const app = {
  isPackaged: true,
  getPath: (name) => `${stub.userDataRoot}/${name}`,
  enableSandbox: () => {
    stub.sandboxEnabled = true;
  },
  on: (event, listener) => {
    (stub.appListeners[event] ??= []).push(listener);
    return app;
  },
  requestSingleInstanceLock: () => {
    stub.singleInstanceLockRequested = true;
    return true;
  },
  whenReady: () => Promise.resolve(),
  quit: () => {
    stub.quit = true;
  },
  exit: (code = 0) => {
    stub.exitCode = code;
    stub.onExit?.(code);
  },
};

export class BrowserWindow {
  static windows = [];
  static getAllWindows() {
    return BrowserWindow.windows;
  }
  constructor(options) {
    this.options = options;
    this.webContents = new FakeWebContents(BrowserWindow.windows.length + 1);
    BrowserWindow.windows.push(this);
    stub.windows.push(this);
    for (const listener of stub.appListeners['web-contents-created'] ?? []) listener({}, this.webContents);
  }
  once(event, listener) {
    // The page is 'ready to show' as soon as it is loaded here.
    if (event === 'ready-to-show') this.readyToShow = listener;
  }
  show() {
    this.shown = true;
  }
  isDestroyed() {
    return false;
  }
  isMinimized() {
    return false;
  }
  focus() {}
  restore() {}
  loadFile(file) {
    this.loadedFile = file;
    return Promise.resolve();
  }
  loadURL(url) {
    this.loadedUrl = url;
    this.readyToShow?.();
    return Promise.resolve();
  }
}

export const ipcMain = {
  handle: (channel, listener) => {
    stub.handlers.set(channel, listener);
  },
  removeHandler: (channel) => stub.handlers.delete(channel),
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler) => {
      stub.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler: (handler) => {
      stub.permissionCheckHandler = handler;
    },
    webRequest: {
      onHeadersReceived: (handler) => {
        stub.headersHandler = handler;
      },
    },
  },
};

// A utility process is a Node child process with a message port; child_process.fork with structured
// clone stands in for it (the trainer entry speaks to either).
export const utilityProcess = {
  fork: (modulePath, args, options) => {
    const child = fork(modulePath, args ?? [], { serialization: 'advanced', stdio: 'inherit' });
    stub.forks.push({ modulePath, options, pid: child.pid });
    return {
      postMessage: (message) => child.send(message),
      on(event, listener) {
        if (event === 'exit') child.on('exit', (code) => listener(code ?? 1));
        else child.on(event, listener);
        return this;
      },
      kill: () => child.kill(),
    };
  },
};

export const dialog = {
  showOpenDialog: async (...args) => {
    const options = args.at(-1);
    stub.dialogs.push(options);
    return { canceled: false, filePaths: [stub.nextPick ?? '/picked/by/the/user'] };
  },
};

export const protocol = {
  registerSchemesAsPrivileged: (schemes) => {
    stub.privilegedSchemes = schemes;
  },
  handle: (scheme, handler) => {
    stub.protocolHandlers[scheme] = handler;
  },
};

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => {
    stub.menu = menu.template.map((item) => item.label ?? item.role);
  },
};

export const shell = {
  openPath: async (target) => {
    stub.opened.push(target);
    return '';
  },
  showItemInFolder: (target) => {
    stub.shownInFolder.push(target);
  },
};
