/**
 * The desktop shell's pieces that need no Electron: the native dialog handler (sender checked,
 * options validated), the application menu, and the utilityProcess trainer adapter — the latter
 * driven against a real trainer process (child_process.fork stands in for utilityProcess.fork).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PICK_PATHS_CHANNEL } from '../../src-main/common/contract';
import { openDialogOptions, registerDialogHandler } from '../../src-main/electron-main/dialogs';
import type { InvokeRegistry } from '../../src-main/electron-main/ipc';
import { applicationMenuTemplate } from '../../src-main/electron-main/menu';
import type { InvokeEventLike, TrustedSenders } from '../../src-main/electron-main/security';
import { utilityTrainerChannel, type UtilityProcessLike } from '../../src-main/electron-main/trainerChannel';
import { runInTrainerProcess } from '../../src-main/node/service/trainerHost';
import { writeColourSplit } from '../support/colourDataset';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;

const appUrl = pathToFileURL('/app/out/renderer/index.html').href;
const trusted: TrustedSenders = { webContentsIds: new Set([1]), entry: { kind: 'file', url: appUrl } };
const ourWindow: InvokeEventLike = { sender: { id: 1 }, senderFrame: { url: appUrl, parent: null } };
const iframe: InvokeEventLike = { sender: { id: 1 }, senderFrame: { url: appUrl, parent: {} } };
const otherPage: InvokeEventLike = { sender: { id: 1 }, senderFrame: { url: 'https://example.com/', parent: null } };

function dialogHandler(show: Parameters<typeof registerDialogHandler>[1]): Handler {
  let handler: Handler | undefined;
  const registry: InvokeRegistry = {
    handle: (channel, listener) => {
      expect(channel).toBe(PICK_PATHS_CHANNEL);
      handler = listener;
    },
    removeHandler: () => undefined,
  };
  registerDialogHandler(registry, show, () => trusted, () => undefined);
  if (!handler) throw new Error('no handler registered');
  return handler;
}

describe('native dialogs', () => {
  it('opens the dialog the page asked for and returns the chosen paths, or none when cancelled', async () => {
    const show = vi.fn(async () => ({ canceled: false, filePaths: ['/data/a.png', '/data/b.png'] }));
    const handler = dialogHandler(show);
    await expect(handler(ourWindow, { kind: 'file', multiple: true, filters: [{ name: 'Images', extensions: ['png', 'jpg'] }] })).resolves.toEqual(['/data/a.png', '/data/b.png']);
    expect(show).toHaveBeenCalledWith({ title: 'Choose a file', properties: ['openFile', 'dontAddToRecent', 'multiSelections'], filters: [{ name: 'Images', extensions: ['png', 'jpg'] }] });
    const cancelled = dialogHandler(async () => ({ canceled: true, filePaths: ['/ignored'] }));
    await expect(cancelled(ourWindow, { kind: 'folder' })).resolves.toEqual([]);
  });

  it('refuses other frames and pages before any dialog opens, and options outside the contract', async () => {
    const show = vi.fn(async () => ({ canceled: false, filePaths: ['/x'] }));
    const handler = dialogHandler(show);
    await expect(handler(iframe, { kind: 'folder' })).rejects.toThrow(/refused/);
    await expect(handler(otherPage, { kind: 'folder' })).rejects.toThrow(/refused/);
    await expect(handler(ourWindow, { kind: 'folder', defaultPath: '/etc' })).rejects.toThrow(/contract/);
    await expect(handler(ourWindow, { kind: 'file', filters: [{ name: 'x', extensions: ['../../x'] }] })).rejects.toThrow(/contract/);
    expect(show).not.toHaveBeenCalled();
  });

  it('lets folders be created in the folder dialog', () => {
    expect(openDialogOptions({ kind: 'folder', title: 'Export to' })).toEqual({ title: 'Export to', properties: ['openDirectory', 'dontAddToRecent', 'createDirectory'] });
  });
});

describe('application menu', () => {
  const facts = { showRunsFolder: vi.fn(), showWeightsFolder: vi.fn() };

  it('has File, Edit, View and Window, and the data folders in File', () => {
    const menu = applicationMenuTemplate({ ...facts, platform: 'linux', isPackaged: true });
    expect(menu.map((m) => m.label ?? m.role)).toEqual(['File', 'editMenu', 'View', 'windowMenu']);
    const file = menu[0]!.submenu as Array<{ label?: string; role?: string; click?: () => void }>;
    file.find((i) => i.label === 'Show Runs Folder')!.click!();
    expect(facts.showRunsFolder).toHaveBeenCalledOnce();
    expect(file.at(-1)!.role).toBe('quit');
  });

  it('offers reload and devtools only in an unpackaged app, and the app menu on macOS', () => {
    const roles = (isPackaged: boolean) => ((applicationMenuTemplate({ ...facts, platform: 'linux', isPackaged })[2]!.submenu as Array<{ role?: string }>).map((i) => i.role));
    expect(roles(true)).not.toContain('toggleDevTools');
    expect(roles(true)).not.toContain('reload');
    expect(roles(false)).toContain('toggleDevTools');
    const mac = applicationMenuTemplate({ ...facts, platform: 'darwin', isPackaged: true });
    expect(mac[0]!.role).toBe('appMenu');
    expect((mac[1]!.submenu as Array<{ role?: string }>).at(-1)!.role).toBe('close');
  });
});

describe('the utilityProcess trainer adapter', () => {
  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** child_process.fork shaped like Electron's UtilityProcess (message, exit with a code, kill). */
  function forkLikeUtilityProcess(): UtilityProcessLike & { exited: Promise<number> } {
    const entry = fileURLToPath(new URL('../../src-main/node/train/trainerProcess.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = fork(entry, [], { execArgv: ['--import', tsx], serialization: 'advanced' });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    return {
      exited,
      postMessage: (message) => child.send(message as never),
      on: ((event: string, listener: (value: unknown) => void) => {
        if (event === 'exit') child.on('exit', (code) => listener(code ?? 1));
        else child.on('message', (message) => listener(message));
      }) as UtilityProcessLike['on'],
      kill: () => child.kill(),
    };
  }

  it('carries a run to its end and ends the process', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'workbench-utility-trainer-'));
    await writeColourSplit(path.join(root, 'train'), 4, 3);
    const child = forkLikeUtilityProcess();
    const events: string[] = [];
    const run = runInTrainerProcess(
      utilityTrainerChannel(child),
      'utility-run',
      { config: { trainDir: path.join(root, 'train'), weights: 'none', imageSize: 32, epochs: 1, batchSize: 4, augment: false, valSplit: 0.25 }, runsRoot: path.join(root, 'runs') },
      (e) => events.push(e.event),
    );
    const report = await run.done;
    expect(report.epochsRun).toBe(1);
    expect(events).toContain('run.epoch');
    await child.exited;
  }, 120_000);

  it('reports a process that dies with its exit code, and posts nothing to it afterwards', async () => {
    const child = forkLikeUtilityProcess();
    const post = vi.spyOn(child, 'postMessage');
    const channel = utilityTrainerChannel(child);
    const run = runInTrainerProcess(channel, 'doomed', { config: { trainDir: '/nonexistent', weights: 'none' } }, () => undefined);
    child.kill();
    await expect(run.done).rejects.toThrow(/trainer process died|does not exist|not found/i);
    await child.exited;
    post.mockClear();
    channel.postMessage({ type: 'cancel' });
    expect(post).not.toHaveBeenCalled();
  }, 60_000);
});
