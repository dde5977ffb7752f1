/**
 * Which folders a browser may make the engine read and write: its data roots (`--data-root`, default
 * the current folder) and the runs folder; and, to read only, the engine's own folders a run may be
 * told to read from (the weights folder, where imported checkpoints are kept); and its exports folder. Every path is resolved
 * with realpath before it is compared, so a symbolic link inside a root cannot lead outside it.
 */
import { mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import { isInside } from '../io/pathInside';
import { realPathOf } from '../io/realPath';

export { realPathOf };
import type { PathPolicy } from '../service/pathPolicy';

export interface DataRoots {
  /** The data roots, resolved (realpath), in the order given, without duplicates. */
  dataRoots: string[];
  /** The runs folder, resolved. */
  runsRoot: string;
  /** Where browsing starts: the data roots, then the runs folder (once). */
  browseRoots: string[];
  /** Folders that may be read but not written or browsed (resolved). */
  readOnlyRoots: string[];
  /** The engine's own folders a browser may also write to and browse (the exports folder), resolved. */
  writableRoots: string[];
}

/**
 * Resolves the data roots (each must be an existing folder) and the runs folder (created when
 * missing, as the first run would).
 */
export async function resolveDataRoots(
  dataRoots: readonly string[],
  runsRoot: string,
  readOnlyRoots: readonly string[] = [],
  writableRoots: readonly string[] = [],
): Promise<DataRoots> {
  if (dataRoots.length === 0) throw new WorkbenchError('BAD_INPUT', 'At least one data root is needed.');
  const resolved: string[] = [];
  for (const root of dataRoots) {
    const absolute = path.resolve(root);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) throw new WorkbenchError('NOT_FOUND', `The data root '${absolute}' does not exist.`);
    if (!info.isDirectory()) throw new WorkbenchError('BAD_INPUT', `The data root '${absolute}' is not a folder.`);
    const real = await realpath(absolute);
    if (!resolved.includes(real)) resolved.push(real);
  }
  await mkdir(runsRoot, { recursive: true });
  const runs = await realpath(runsRoot);
  const readOnly: string[] = [];
  for (const root of readOnlyRoots) {
    await mkdir(root, { recursive: true });
    readOnly.push(await realpath(root));
  }
  const writable: string[] = [];
  for (const root of writableRoots) {
    await mkdir(root, { recursive: true });
    writable.push(await realpath(root));
  }
  const browseRoots = [...resolved];
  for (const root of [runs, ...writable]) if (!browseRoots.includes(root)) browseRoots.push(root);
  return { dataRoots: resolved, runsRoot: runs, browseRoots, readOnlyRoots: readOnly, writableRoots: writable };
}

/** The service's PathPolicy for browser mode: paths (after realpath) inside a root only. */
export function dataRootsPolicy(roots: DataRoots): PathPolicy {
  return async (absolutePath, use) => {
    const real = await realPathOf(absolutePath);
    if (roots.browseRoots.some((root) => isInside(root, real))) return;
    if (use === 'read' && roots.readOnlyRoots.some((root) => isInside(root, real))) return;
    const shown = real === absolutePath ? `'${absolutePath}'` : `'${absolutePath}' (which leads to '${real}')`;
    throw new WorkbenchError('BAD_INPUT', `${shown} is outside the folders this server may use: ${roots.browseRoots.join(', ')}.`);
  };
}
