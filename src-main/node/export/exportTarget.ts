/**
 * Where an export lands: refuse to replace anything without `force`, and put a folder in place as a
 * whole (built beside the target under a temp name, then renamed), so a killed export never leaves a
 * half-written model at the path the user named.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';

/** Throws ALREADY_EXISTS when something is at `target` and `force` is not set. */
export async function assertWritableTarget(target: string, force: boolean): Promise<void> {
  const existing = await stat(target).catch(() => undefined);
  if (existing && !force) {
    // Said without naming a control: the CLI adds its flag, the app its checkbox.
    throw new WorkbenchError('ALREADY_EXISTS', `'${target}' already exists.`);
  }
  if (existing?.isDirectory() && force && !(await stat(path.join(target, 'model.json')).catch(() => undefined))) {
    // Replacing is for an earlier export, never an arbitrary folder of someone's files.
    throw new WorkbenchError('ALREADY_EXISTS', `'${target}' is a folder that does not hold an exported TensorFlow.js model, so it is not replaced; choose another name or folder.`);
  }
}

function ioError(target: string, error: unknown): WorkbenchError {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied (the folder is read-only or not writable by this user)',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    ENOENT: 'the folder does not exist',
    ENOTDIR: 'a part of the path is a file, not a folder',
  };
  return new WorkbenchError('IO', `Could not write '${target}': ${(code && reasons[code]) || (error as Error).message}.`, { cause: error });
}

/**
 * Fill a new folder with `fill` and move it to `target` only when complete. With an existing target
 * (allowed by assertWritableTarget), the old folder is moved aside first and removed after.
 */
export async function writeFolderAtomic(target: string, fill: (folder: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(path.resolve(target));
  const temp = path.join(parent, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(temp);
  } catch (error) {
    throw ioError(target, error);
  }
  try {
    await fill(temp);
    const old = (await stat(target).catch(() => undefined)) ? `${temp}.old` : undefined;
    if (old) await rename(target, old);
    await rename(temp, target);
    if (old) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw error instanceof WorkbenchError ? error : ioError(target, error);
  }
}
