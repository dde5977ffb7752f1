/**
 * Atomic file replacement: readers see either the old file or the whole new one, never a torn write,
 * even when the process dies or the disk fills mid-write. The data goes to a temp file in the same
 * folder (rename is only atomic within one file system), is fsynced, then renamed over the target;
 * the folder is fsynced afterwards so the rename itself survives a power cut where the OS allows it.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WorkbenchError } from '../../common/errors';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied (the folder is read-only or not writable by this user)',
  EPERM: 'operation not permitted (the folder or file is read-only or locked)',
  EROFS: 'the file system is read-only',
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder exists at that path',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EBUSY: 'the file is busy or locked by another program',
};

export function describeFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const reason = code ? REASONS[code] : undefined;
  return reason ? `${reason} (${detail})` : detail;
}

/** The mode of an existing target, so replacing a file keeps its permissions; undefined if none. */
async function existingMode(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.mode & 0o7777 : undefined;
  } catch {
    return undefined;
  }
}

/** Best effort: Windows cannot open or fsync a directory, and some file systems refuse it. */
async function syncDirectory(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // The rename already happened; durability of the folder entry is all that is at stake.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes `data` (bytes, or a string as UTF-8) to `path`, replacing any existing file as a whole.
 * Throws WorkbenchError('IO') naming the path and the reason; on failure no temp file is left behind
 * and an existing file at `path` is untouched.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const folder = dirname(path);
  const tempPath = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  let tempCreated = false;
  try {
    const mode = await existingMode(path);
    // 'wx': never follow or clobber something already at the temp name.
    handle = await open(tempPath, 'wx', mode ?? 0o666);
    tempCreated = true;
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tempPath, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (tempCreated) await rm(tempPath, { force: true }).catch(() => undefined);
    throw new WorkbenchError('IO', `Could not write '${path}': ${describeFailure(error)}.`, { cause: error });
  }
  await syncDirectory(folder);
}

/** Names writeFileAtomic gives its temp files: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files a killed writer left in `folder` (kill -9 or a power cut between the write
 * and the rename). A temp file whose writer is still running is left alone. Returns what was removed.
 */
export async function removeStaleTempFiles(folder: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const match = TEMP_NAME.exec(name);
    const pid = Number(match?.[1]);
    if (!match || pid === process.pid || processIsAlive(pid)) continue;
    // Recursive: a folder written whole (an exported tfjs model) has a temp folder of the same name.
    await rm(join(folder, name), { force: true, recursive: true }).then(
      () => removed.push(join(folder, name)),
      () => undefined,
    );
  }
  return removed;
}

/**
 * Writes several files as one commit, as far as a file system allows: every file goes to its temp
 * file and is fsynced first; only when all are whole are they renamed into place, in the order given
 * (put the file that readers look for first — a model beside its card — last). A failure before the
 * renames leaves every target untouched and no temp file behind.
 */
export async function writeFilesAtomic(files: readonly (readonly [path: string, data: Uint8Array | string])[]): Promise<void> {
  const temps: { target: string; temp: string }[] = [];
  try {
    for (const [target, data] of files) {
      const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      const mode = await existingMode(target);
      const handle = await open(temp, 'wx', mode ?? 0o666);
      temps.push({ target, temp });
      try {
        if (mode !== undefined) await handle.chmod(mode);
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const { target, temp } of temps) await rename(temp, target);
  } catch (error) {
    await Promise.all(temps.map(({ temp }) => rm(temp, { force: true }).catch(() => undefined)));
    const target = temps.at(-1)?.target ?? files[0]?.[0] ?? '';
    throw new WorkbenchError('IO', `Could not write '${target}': ${describeFailure(error)}.`, { cause: error });
  }
  for (const folder of new Set(temps.map(({ target }) => dirname(target)))) await syncDirectory(folder);
}
