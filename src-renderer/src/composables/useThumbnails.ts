/**
 * A few preview images per class of a scanned folder. The scan report names classes, not files, so
 * each class folder is listed with files.browse (images only) and its first few images are fetched
 * by useFileThumbnails, the one place thumbnails are requested and remembered. Classes load one at a
 * time, on request, so a folder of many classes does not flood the engine.
 */
import { reactive, readonly } from 'vue';
import type { WorkbenchApi } from '../../../src-main/common/contract';
import { unwrap } from '../api/workbench';
import { useFileThumbnails, type FileThumbnail } from './useFileThumbnails';
import { toApiError } from './useRun';

/** Default previews per class. */
export const THUMBNAILS_PER_CLASS = 6;

/** A class is loaded once its first few images are listed and their thumbnails have come back. */
export type ClassThumbnailState =
  | { status: 'loading' }
  | { status: 'loaded'; paths: readonly string[] }
  | { status: 'failed'; message: string };

export interface UseThumbnails {
  /** By class name; absent until requested. */
  byClass: Readonly<Record<string, ClassThumbnailState>>;
  /** The thumbnails of the listed paths, by path. */
  byPath: Readonly<Map<string, FileThumbnail>>;
  /** Loads the previews of these classes of `root` (each once). */
  load: (root: string, classes: readonly string[]) => Promise<void>;
  /** Forgets what was loaded (another folder was scanned). */
  clear: () => void;
}

export function useThumbnails(api: WorkbenchApi, perClass = THUMBNAILS_PER_CLASS, size = 96): UseThumbnails {
  const files = useFileThumbnails(api, size);
  const byClass = reactive<Record<string, ClassThumbnailState>>({});
  let loadedRoot: string | null = null;
  /** Class folders of the root, by name, from one listing. */
  let folders: Promise<Map<string, string>> | null = null;

  async function listClassFolders(root: string): Promise<Map<string, string>> {
    const listing = unwrap(await api.files.browse({ path: root, include: 'folders' }));
    return new Map(listing.entries.filter((entry) => entry.kind === 'folder').map((entry) => [entry.name, entry.path]));
  }

  async function loadClass(root: string, name: string): Promise<void> {
    byClass[name] = { status: 'loading' };
    try {
      folders ??= listClassFolders(root);
      const folder = (await folders).get(name);
      if (folder === undefined) throw new Error(`No folder named ${name} in ${root}.`);
      const listing = unwrap(await api.files.browse({ path: folder, include: 'images' }));
      const paths = listing.entries.filter((entry) => entry.kind === 'file').slice(0, perClass).map((entry) => entry.path);
      await files.load(paths);
      if (loadedRoot === root) byClass[name] = { status: 'loaded', paths };
    } catch (caught) {
      if (loadedRoot === root) byClass[name] = { status: 'failed', message: toApiError(caught).message };
    }
  }

  function clear(): void {
    loadedRoot = null;
    folders = null;
    for (const name of Object.keys(byClass)) delete byClass[name];
  }

  async function load(root: string, classes: readonly string[]): Promise<void> {
    if (loadedRoot !== root) {
      clear();
      loadedRoot = root;
    }
    for (const name of classes) {
      if (byClass[name] !== undefined) continue;
      await loadClass(root, name);
    }
  }

  return { byClass: readonly(byClass) as Readonly<Record<string, ClassThumbnailState>>, byPath: files.byPath, load, clear };
}
