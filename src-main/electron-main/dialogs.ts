/**
 * Native open dialogs for the page (desktop only): folders and files are chosen in main with the
 * system's dialog, so the page never names a path it did not get from the user. The options the
 * page sends are validated like a contract call's parameters. And "Show in folder" for what an
 * export just wrote, and nothing else.
 */
import type { OpenDialogOptions } from 'electron';
import path from 'node:path';
import { absolutePathSchema, PICK_PATHS_CHANNEL, pickPathsOptionsSchema, SHOW_IN_FOLDER_CHANNEL } from '../common/contract';
import { handleFromTrustedSender, type InvokeRegistry } from './ipc';
import type { TrustedSenders } from './security';

export type ShowOpenDialog = (options: OpenDialogOptions) => Promise<{ canceled: boolean; filePaths: string[] }>;

/** Electron's dialog options for what the page asked. */
export function openDialogOptions(raw: unknown): OpenDialogOptions {
  const parsed = pickPathsOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new TypeError(`Dialog options do not match the contract: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const options = parsed.data;
  const properties: OpenDialogOptions['properties'] = [options.kind === 'folder' ? 'openDirectory' : 'openFile', 'dontAddToRecent'];
  if (options.multiple) properties.push('multiSelections');
  if (options.kind === 'folder') properties.push('createDirectory');
  return {
    title: options.title ?? (options.kind === 'folder' ? 'Choose a folder' : 'Choose a file'),
    properties,
    ...(options.filters ? { filters: options.filters } : {}),
  };
}

/**
 * @param onChosen told what the user picked, before the page hears of it: the desktop path policy
 *   allows the engine to touch exactly these (and what is inside the folders among them).
 */
export function registerDialogHandler(
  ipc: InvokeRegistry,
  showOpenDialog: ShowOpenDialog,
  trusted: () => TrustedSenders,
  log: (message: string) => void = console.warn,
  onChosen: (paths: string[]) => Promise<void> = async () => undefined,
): void {
  handleFromTrustedSender(ipc, PICK_PATHS_CHANNEL, 'dialogs.pickPaths', trusted, log, async (raw) => {
    const result = await showOpenDialog(openDialogOptions(raw));
    if (result.canceled) return [];
    await onChosen(result.filePaths);
    return result.filePaths;
  });
}

/** Exports written in this session (model files or folders, and cards): what "Show in folder" may show. */
export class WrittenExports {
  private readonly paths: string[] = [];

  constructor(private readonly max = 100) {}

  add(...written: string[]): void {
    for (const raw of written) {
      const normal = path.normalize(raw);
      const at = this.paths.indexOf(normal);
      if (at >= 0) this.paths.splice(at, 1);
      this.paths.push(normal);
    }
    this.paths.splice(0, Math.max(0, this.paths.length - this.max));
  }

  has(target: string): boolean {
    return this.paths.includes(path.normalize(target));
  }
}

/**
 * "Show in folder": the page names a path, main shows it in the file manager only when an export of
 * this session wrote it (a page cannot make the shell open or reveal anything else).
 */
export function registerShowInFolderHandler(
  ipc: InvokeRegistry,
  showItemInFolder: (fullPath: string) => void,
  written: WrittenExports,
  trusted: () => TrustedSenders,
  log: (message: string) => void = console.warn,
): void {
  handleFromTrustedSender(ipc, SHOW_IN_FOLDER_CHANNEL, 'dialogs.showInFolder', trusted, log, async (raw) => {
    const parsed = absolutePathSchema.safeParse(raw);
    if (!parsed.success || !path.isAbsolute(parsed.data)) throw new TypeError('Show in folder needs an absolute path.');
    if (!written.has(parsed.data)) throw new TypeError('Only files an export wrote in this session can be shown in their folder.');
    showItemInFolder(path.normalize(parsed.data));
  });
}
