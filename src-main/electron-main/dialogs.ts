/**
 * Native open dialogs for the page (desktop only): folders and files are chosen in main with the
 * system's dialog, so the page never names a path it did not get from the user. The options the
 * page sends are validated like a contract call's parameters.
 */
import type { OpenDialogOptions } from 'electron';
import { PICK_PATHS_CHANNEL, pickPathsOptionsSchema } from '../common/contract';
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
