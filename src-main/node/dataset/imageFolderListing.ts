/**
 * Lists an image folder the way torchvision's `ImageFolder` reads it: every immediate subfolder of
 * the root is a class, class index = position in the sorted list of names, and files anywhere below
 * a class folder belong to that class. Only listing happens here; whether a file is a usable image
 * is decided later from its content.
 *
 * Deliberate differences from torchvision, all reported rather than silent:
 * - hidden entries (name starting with '.') are skipped, including hidden folders at the root, so
 *   `.ipynb_checkpoints` never becomes a class;
 * - a symbolic link inside a class folder is never followed. Its target is either outside the class
 *   folder (the class would silently include foreign files), above the link (a loop), or inside the
 *   class folder, which is listed anyway (following would count images twice). A class folder that
 *   is itself a link at the root is followed: that is the usual way to put a class on another disk —
 *   but only where the caller's `mayRead` allows its resolved target (browser mode: inside the data
 *   roots; desktop: inside a folder the user chose), so a link to /etc is reported, never listed.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WorkbenchError } from '../../common/errors';
import { isInside } from '../io/pathInside';
import { describeFsError, type DatasetIssue } from './issues';

export interface ListedFile {
  /** Absolute path as found below the root (not resolved through links). */
  path: string;
  classIndex: number;
}

export interface ImageFolderListing {
  /** The root as an absolute path. */
  root: string;
  /** Class names in index order (sorted by Unicode code point, as Python's `sorted`). */
  classes: string[];
  /** Candidate files: in class order, then in sorted path order within a class. */
  files: ListedFile[];
  /** Entries that were not listed as candidates, and why. */
  issues: DatasetIssue[];
  /** Hidden files and folders skipped (`.DS_Store`, `.git`, ...); not listed as issues. */
  hiddenSkipped: number;
}

export interface ListImageFolderOptions {
  /** Called as files are found, with the running count. */
  onFilesFound?: (count: number) => void;
  signal?: AbortSignal;
  /**
   * Decides whether a class-folder link at the root may be followed to `target` (its realpath): throws
   * (a WorkbenchError naming why) to refuse. Default: any target (the CLI, whose user named the folder).
   */
  mayRead?: (target: string) => void | Promise<void>;
}

/** Python's string order: by Unicode code point (JS `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(j) as number;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}

const isHidden = (name: string): boolean => name.startsWith('.');

async function readSortedDir(dir: string): Promise<Dirent[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.sort((a, b) => compareCodePoints(a.name, b.name));
}

/** Why a link inside a class folder is not followed. */
async function describeLink(linkPath: string, linkDirReal: string, classReal: string): Promise<DatasetIssue> {
  let target: string;
  try {
    target = await realpath(linkPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { path: linkPath, reason: 'symlink-loop', detail: 'the link resolves to itself through other links' };
    if (code === 'ENOENT') return { path: linkPath, reason: 'symlink-broken', detail: 'the link points to nothing' };
    return { path: linkPath, reason: 'unreadable', detail: `cannot resolve the link: ${describeFsError(error)}` };
  }
  if (!isInside(classReal, target)) {
    return { path: linkPath, reason: 'symlink-escapes-class', detail: `points outside its class folder, to ${target}; not followed` };
  }
  if (isInside(target, linkDirReal)) {
    return { path: linkPath, reason: 'symlink-loop', detail: `points to ${target}, a folder containing the link itself; not followed` };
  }
  return { path: linkPath, reason: 'symlink-duplicate', detail: `points to ${target} inside the same class folder, which is scanned anyway; not followed` };
}

/** Why a class-folder link may not be followed, or undefined when it may. */
async function refusalOf(linkPath: string, mayRead: ListImageFolderOptions['mayRead']): Promise<DatasetIssue | undefined> {
  if (!mayRead) return undefined;
  const target = await realpath(linkPath);
  try {
    await mayRead(target);
    return undefined;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { path: linkPath, reason: 'symlink-escapes-class', detail: `a class folder linked to ${target}, where this engine may not read; not followed (${why})` };
  }
}

export async function listImageFolder(rootInput: string, options: ListImageFolderOptions = {}): Promise<ImageFolderListing> {
  const root = resolve(rootInput);
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WorkbenchError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `Cannot open the image folder ${root}: ${describeFsError(error)}`, { cause: error });
  }
  if (!rootStat.isDirectory()) {
    throw new WorkbenchError('BAD_INPUT', `Expected a folder with one subfolder per class at ${root}, found a file`);
  }

  const issues: DatasetIssue[] = [];
  let hiddenSkipped = 0;
  const classes: string[] = [];
  for (const entry of await readSortedDir(root)) {
    const path = join(root, entry.name);
    if (isHidden(entry.name)) {
      hiddenSkipped++;
      continue;
    }
    if (entry.isDirectory()) {
      classes.push(entry.name);
    } else if (entry.isSymbolicLink()) {
      try {
        const target = await stat(path);
        const refusal = target.isDirectory() ? await refusalOf(path, options.mayRead) : undefined;
        if (refusal) issues.push(refusal);
        else if (target.isDirectory()) classes.push(entry.name);
        else issues.push({ path, reason: 'outside-class-folder', detail: 'a link to a file directly in the root; images belong in a class folder' });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') issues.push({ path, reason: 'symlink-loop', detail: 'the link resolves to itself through other links' });
        else if (code === 'ENOENT') issues.push({ path, reason: 'symlink-broken', detail: 'the link points to nothing' });
        else issues.push({ path, reason: 'unreadable', detail: describeFsError(error) });
      }
    } else if (entry.isFile()) {
      issues.push({ path, reason: 'outside-class-folder', detail: 'a file directly in the root; images belong in a class folder' });
    } else {
      issues.push({ path, reason: 'not-a-regular-file', detail: 'neither a file nor a folder' });
    }
  }
  if (classes.length === 0) {
    issues.push({ path: root, reason: 'no-classes', detail: 'no class folder found: expected one subfolder per class' });
  }

  const files: ListedFile[] = [];
  for (let classIndex = 0; classIndex < classes.length; classIndex++) {
    const classPath = join(root, classes[classIndex] as string);
    let classReal: string;
    try {
      classReal = await realpath(classPath);
    } catch (error) {
      issues.push({ path: classPath, reason: 'unreadable', detail: describeFsError(error) });
      continue;
    }
    // Depth-first with an explicit stack; children pushed in reverse so they pop in sorted order.
    const stack: { path: string; real: string }[] = [{ path: classPath, real: classReal }];
    while (stack.length > 0) {
      options.signal?.throwIfAborted();
      const dir = stack.pop() as { path: string; real: string };
      let entries: Dirent[];
      try {
        entries = await readSortedDir(dir.path);
      } catch (error) {
        issues.push({ path: dir.path, reason: 'unreadable', detail: `cannot list the folder: ${describeFsError(error)}` });
        continue;
      }
      const subdirs: { path: string; real: string }[] = [];
      for (const entry of entries) {
        const path = join(dir.path, entry.name);
        if (isHidden(entry.name)) {
          hiddenSkipped++;
        } else if (entry.isDirectory()) {
          subdirs.push({ path, real: join(dir.real, entry.name) });
        } else if (entry.isFile()) {
          files.push({ path, classIndex });
          if (options.onFilesFound && files.length % 1000 === 0) options.onFilesFound(files.length);
        } else if (entry.isSymbolicLink()) {
          issues.push(await describeLink(path, dir.real, classReal));
        } else {
          issues.push({ path, reason: 'not-a-regular-file', detail: 'neither a file nor a folder (a socket, device or pipe)' });
        }
      }
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as { path: string; real: string });
    }
  }
  options.onFilesFound?.(files.length);
  return { root, classes, files, issues, hiddenSkipped };
}

/**
 * Throws BAD_INPUT when a class-folder link at `root` leads where `mayRead` refuses: for a run, whose
 * listing happens in the trainer process, which cannot ask the caller's policy itself.
 */
export async function assertClassLinksAllowed(root: string, mayRead: (target: string) => void | Promise<void>): Promise<void> {
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [] as Dirent[])) {
    if (!entry.isSymbolicLink() || isHidden(entry.name)) continue;
    const link = join(root, entry.name);
    const isFolder = await stat(link).then((info) => info.isDirectory()).catch(() => false);
    const refusal = isFolder ? await refusalOf(link, mayRead) : undefined;
    if (refusal) throw new WorkbenchError('BAD_INPUT', `The class folder ${link} is ${refusal.detail}. Copy the images into the folder, or remove the link.`);
  }
}
