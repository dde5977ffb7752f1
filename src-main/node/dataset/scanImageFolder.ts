/**
 * The health report of one image folder: which classes, how many usable images each, and every file
 * or folder that cannot be used with the reason. Files are only ever read.
 */
import { join } from 'node:path';
import { checkImageFile, type CheckImageOptions, type CheckedImage } from './checkImageFile';
import { listImageFolder } from './imageFolderListing';
import type { DatasetIssue, DatasetWarning } from './issues';
import { defaultScanConcurrency } from './parallelism';

/** A usable image and its class. */
export interface ScannedImage extends CheckedImage {
  classIndex: number;
}

export interface ClassSummary {
  name: string;
  /** Position in the sorted class list: the label the model learns. */
  index: number;
  /** Usable images. */
  images: number;
  /** Files of this class that could not be used. */
  unusable: number;
}

export interface ClassImbalance {
  largest: { name: string; images: number };
  smallest: { name: string; images: number };
  /** largest / smallest over classes with at least one image; 1 is perfectly balanced. */
  ratio: number;
}

export interface ImageFolderScan {
  /** Absolute path of the root. */
  root: string;
  /** In class-index order. */
  classes: ClassSummary[];
  /** Usable images, in class order. */
  images: ScannedImage[];
  /** Everything that cannot be used, with the reason, in path order. */
  issues: DatasetIssue[];
  /** Usable files worth a look. */
  warnings: DatasetWarning[];
  /** Hidden files and folders skipped. */
  hiddenSkipped: number;
  /** Undefined when no class has an image. */
  imbalance: ClassImbalance | undefined;
}

export type ScanProgress =
  | { phase: 'listing'; filesFound: number }
  | { phase: 'checking'; checked: number; total: number; usable: number; unusable: number };

export interface ScanOptions extends CheckImageOptions {
  /** Files checked at once. Default: the number of CPUs, at least 4. */
  concurrency?: number;
  /** Called as the scan advances: once per thousand files listed, then once per file checked. */
  onProgress?: (progress: ScanProgress) => void;
  /** Stops the scan with an AbortError. */
  signal?: AbortSignal;
  /** Whether a class-folder link at the root may be followed to its target (see listImageFolder). */
  mayRead?: (target: string) => void | Promise<void>;
}

function imbalanceOf(classes: readonly ClassSummary[]): ClassImbalance | undefined {
  const nonEmpty = classes.filter((c) => c.images > 0);
  if (nonEmpty.length === 0) return undefined;
  let largest = nonEmpty[0] as ClassSummary;
  let smallest = largest;
  for (const c of nonEmpty) {
    if (c.images > largest.images) largest = c;
    if (c.images < smallest.images) smallest = c;
  }
  return {
    largest: { name: largest.name, images: largest.images },
    smallest: { name: smallest.name, images: smallest.images },
    ratio: largest.images / smallest.images,
  };
}

export async function scanImageFolder(root: string, options: ScanOptions = {}): Promise<ImageFolderScan> {
  const listing = await listImageFolder(root, {
    onFilesFound: (filesFound) => options.onProgress?.({ phase: 'listing', filesFound }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.mayRead ? { mayRead: options.mayRead } : {}),
  });
  const { files } = listing;
  const results: (Awaited<ReturnType<typeof checkImageFile>> | undefined)[] = new Array(files.length);
  let next = 0;
  let checked = 0;
  let usable = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      options.signal?.throwIfAborted();
      const i = next++;
      const result = await checkImageFile((files[i] as { path: string }).path, options);
      results[i] = result;
      checked++;
      if (result.ok) usable++;
      options.onProgress?.({ phase: 'checking', checked, total: files.length, usable, unusable: checked - usable });
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? defaultScanConcurrency(), files.length || 1));
  await Promise.all(Array.from({ length: concurrency }, worker));

  const classes: ClassSummary[] = listing.classes.map((name, index) => ({ name, index, images: 0, unusable: 0 }));
  const images: ScannedImage[] = [];
  const issues: DatasetIssue[] = [...listing.issues];
  const warnings: DatasetWarning[] = [];
  results.forEach((result, i) => {
    const { classIndex } = files[i] as { classIndex: number };
    const summary = classes[classIndex] as ClassSummary;
    if (result?.ok) {
      images.push({ ...result.image, classIndex });
      warnings.push(...result.warnings);
      summary.images++;
    } else if (result) {
      issues.push(result.issue);
      summary.unusable++;
    }
  });
  for (const c of classes) {
    if (c.images > 0) continue;
    const detail = c.unusable > 0 ? `none of its ${c.unusable} files is a usable image` : 'the folder holds no files';
    issues.push({ path: join(listing.root, c.name), reason: 'empty-class', detail });
  }
  issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root: listing.root, classes, images, issues, warnings, hiddenSkipped: listing.hiddenSkipped, imbalance: imbalanceOf(classes) };
}
