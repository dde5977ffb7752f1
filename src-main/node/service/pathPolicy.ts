/**
 * Paths that come from a UI are checked before the engine touches them: absolute (the engine's
 * working directory means nothing to a window or a browser tab), existing where they must exist, and
 * allowed by the transport's policy. Browser mode restricts paths to its data roots through
 * `PathPolicy`; the desktop app needs none (its folders come from native dialogs).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';

/** What the engine will do with a path: read it, write it, or list a folder's entries to a caller. */
export type PathUse = 'read' | 'write' | 'list';

/**
 * Refuses a path by throwing a WorkbenchError (e.g. BAD_INPUT naming the allowed roots); returns
 * normally to allow it. Called with absolute, normalised paths only.
 */
export type PathPolicy = (absolutePath: string, use: PathUse) => void | Promise<void>;

export type PathKind = 'folder' | 'file' | 'file-or-folder';

export interface PathChecker {
  /** Checks an existing path; returns it normalised. `what` names it in messages ("the train folder"). */
  existing(raw: string, kind: PathKind, what: string, use?: Exclude<PathUse, 'write'>): Promise<string>;
  /** Checks a path about to be written: absolute, allowed, its parent folder exists. */
  writable(raw: string, what: string): Promise<string>;
  /** Throws unless the policy lets the engine read `absolutePath` (a link's resolved target, say). */
  mayRead(absolutePath: string): Promise<void>;
}

function absolute(raw: string, what: string): string {
  if (!path.isAbsolute(raw)) throw new WorkbenchError('BAD_INPUT', `${what} must be an absolute path; got '${raw}'.`);
  return path.normalize(raw);
}

export function pathChecker(policy?: PathPolicy): PathChecker {
  return {
    async existing(raw, kind, what, use = 'read') {
      const resolved = absolute(raw, what);
      await policy?.(resolved, use);
      const info = await stat(resolved).catch(() => undefined);
      if (!info) throw new WorkbenchError('NOT_FOUND', `${what} '${resolved}' does not exist.`);
      if (kind === 'folder' && !info.isDirectory()) throw new WorkbenchError('BAD_INPUT', `${what} '${resolved}' is not a folder.`);
      if (kind === 'file' && !info.isFile()) throw new WorkbenchError('BAD_INPUT', `${what} '${resolved}' is not a file.`);
      return resolved;
    },
    async mayRead(absolutePath) {
      await policy?.(path.normalize(absolutePath), 'read');
    },
    async writable(raw, what) {
      const resolved = absolute(raw, what);
      await policy?.(resolved, 'write');
      const parent = path.dirname(resolved);
      const info = await stat(parent).catch(() => undefined);
      if (!info?.isDirectory()) throw new WorkbenchError('NOT_FOUND', `The folder for ${what} '${parent}' does not exist.`);
      return resolved;
    },
  };
}
