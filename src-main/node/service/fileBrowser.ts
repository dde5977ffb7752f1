/**
 * `files.browse`: what a UI without native dialogs (a browser tab) needs to choose folders and files
 * on the engine's machine. Every folder listed goes through the service's path policy first, so in
 * browser mode nothing outside the data roots can be listed.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BrowseEntry, CallParams, CallResult } from '../../common/contract';
import { WorkbenchError } from '../../common/errors';
import { hasImageExtension } from '../dataset/imageExtensions';
import { assertOutsideDataFolders, type DataFolder } from '../export/dataFolderGuard';
import { isInside } from '../io/pathInside';
import type { PathChecker } from './pathPolicy';

/** More entries than anyone scrolls through; the reply says when a folder held more. */
export const MAX_BROWSE_ENTRIES = 2000;

const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * @param roots where browsing starts (absolute); a folder's parent is offered only while it stays
 *   inside one of them, or anywhere when `unbounded` (the desktop app).
 */
export async function browseFiles(
  params: CallParams<'files.browse'>,
  paths: PathChecker,
  roots: readonly string[],
): Promise<CallResult<'files.browse'>> {
  const include = params?.include ?? 'folders';
  const requested = params?.path;
  if (requested === undefined) {
    return { path: null, parent: null, roots: [...roots], entries: roots.map((root) => ({ name: root, path: root, kind: 'folder' as const })), truncated: false };
  }
  // 'list', not 'read': folders the engine may read but not show (the weights folder) stay unlisted.
  const folder = await paths.existing(requested, 'folder', 'The folder', 'list');
  let dirents;
  try {
    dirents = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new WorkbenchError('IO', `Cannot list ${folder}: ${(error as Error).message}`);
  }
  const entries: BrowseEntry[] = [];
  for (const dirent of dirents) {
    if (dirent.name.startsWith('.')) continue;
    const full = path.join(folder, dirent.name);
    let kind: BrowseEntry['kind'] | undefined;
    if (dirent.isDirectory()) kind = 'folder';
    else if (dirent.isFile()) kind = 'file';
    else if (dirent.isSymbolicLink()) {
      // A link is shown as what it points to; whether it may be followed is the policy's call on entry.
      const target = await stat(full).catch(() => undefined);
      kind = target?.isDirectory() ? 'folder' : target?.isFile() ? 'file' : undefined;
    }
    if (kind === undefined) continue;
    if (kind === 'file' && (include === 'folders' || (include === 'images' && !hasImageExtension(dirent.name)))) continue;
    entries.push({ name: dirent.name, path: full, kind });
  }
  entries.sort((a, b) => (a.kind === b.kind ? byName.compare(a.name, b.name) : a.kind === 'folder' ? -1 : 1));
  const above = path.dirname(folder);
  const atRoot = above === folder || roots.some((root) => path.resolve(root) === folder);
  const parentAllowed = !atRoot && roots.some((root) => isInside(path.resolve(root), above));
  return {
    path: folder,
    parent: parentAllowed ? above : null,
    roots: [...roots],
    entries: entries.slice(0, MAX_BROWSE_ENTRIES),
    truncated: entries.length > MAX_BROWSE_ENTRIES,
  };
}

/**
 * `files.mkdir`: the folder browser's "New folder". The new folder must be allowed for writing by the
 * path policy, its parent must exist, and it must not be inside a run's image folders (there it
 * would be a new, empty class the next time the folder is used for training).
 */
export async function makeFolder(params: CallParams<'files.mkdir'>, paths: PathChecker, dataFolders: () => Promise<DataFolder[]>): Promise<CallResult<'files.mkdir'>> {
  const target = await paths.writable(path.join(params.parent, params.name), 'the new folder');
  await assertOutsideDataFolders(target, await dataFolders());
  try {
    await mkdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new WorkbenchError('ALREADY_EXISTS', `There is already something named '${params.name}' in ${params.parent}; choose another name.`);
    throw new WorkbenchError('IO', `Could not make the folder '${target}': ${code === 'EACCES' || code === 'EPERM' ? 'this engine may not write there' : (error as Error).message}.`, { cause: error });
  }
  return { path: target };
}
