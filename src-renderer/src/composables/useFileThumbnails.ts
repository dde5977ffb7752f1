/**
 * Thumbnails of named image files (a gallery's, a misclassified list's), from images.thumbnails.
 * Each path is asked for once and remembered; requests go in chunks of the call's limit. A file the
 * engine could not read gets its error instead of a picture, and a failed call marks its paths
 * failed, so a list never waits forever.
 */
import { shallowReactive } from 'vue';
import type { WorkbenchApi } from '../../../src-main/common/contract';
import type { ErrorData } from '../../../src-main/common/errors';
import { unwrap } from '../api/workbench';
import { toApiError } from './useRun';

/** images.thumbnails takes at most this many paths a call. */
const PATHS_PER_CALL = 200;

export type FileThumbnail = { status: 'loading' } | { status: 'loaded'; dataUrl: string } | { status: 'failed'; error: ErrorData };

export interface UseFileThumbnails {
  /** By path; absent until requested. */
  byPath: Readonly<Map<string, FileThumbnail>>;
  /** Requests the paths not asked for yet. */
  load: (paths: readonly string[]) => Promise<void>;
}

export function useFileThumbnails(api: WorkbenchApi, size = 96): UseFileThumbnails {
  const byPath = shallowReactive(new Map<string, FileThumbnail>());

  async function loadChunk(paths: string[]): Promise<void> {
    try {
      const { thumbnails } = unwrap(await api.images.thumbnails({ paths, size }));
      for (const thumbnail of thumbnails) {
        byPath.set(thumbnail.path, 'error' in thumbnail ? { status: 'failed', error: thumbnail.error } : { status: 'loaded', dataUrl: thumbnail.dataUrl });
      }
      // A path the reply left out would otherwise stay loading.
      for (const path of paths) {
        if (byPath.get(path)?.status === 'loading') byPath.set(path, { status: 'failed', error: { code: 'INTERNAL', message: 'No thumbnail came back.' } });
      }
    } catch (caught) {
      const { code, message } = toApiError(caught);
      for (const path of paths) byPath.set(path, { status: 'failed', error: { code, message } });
    }
  }

  async function load(paths: readonly string[]): Promise<void> {
    const wanted = [...new Set(paths)].filter((path) => !byPath.has(path));
    for (const path of wanted) byPath.set(path, { status: 'loading' });
    const chunks: string[][] = [];
    for (let start = 0; start < wanted.length; start += PATHS_PER_CALL) chunks.push(wanted.slice(start, start + PATHS_PER_CALL));
    await Promise.all(chunks.map(loadChunk));
  }

  return { byPath, load };
}
