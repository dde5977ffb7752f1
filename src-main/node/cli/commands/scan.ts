/**
 * `resnet-workbench scan DIR [--test DIR]`: the health report of an image folder (and of a test
 * folder against it) before any training. Only reads files. Exit code 0 whenever the report could be
 * made, however many files are unusable: the report is the result.
 */
import { reasonText } from '../../../common/datasetReasons';
import type { Command } from 'commander';
import { relative } from 'node:path';
import { compareSplits, type SplitComparison } from '../../dataset/compareSplits';
import { DEFAULT_MAX_PIXELS } from '../../dataset/decode';
import type { DatasetIssue, DatasetWarning } from '../../dataset/issues';
import { scanImageFolder, type ImageFolderScan, type ScanProgress } from '../../dataset/scanImageFolder';
import { scanSummary } from '../../dataset/scanSummary';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { formatTable, type CliOutput, type ProgressBar } from '../output';
import { parsePositiveInt } from '../usage';

interface ScanCommandOptions {
  test?: string;
  json?: boolean;
  maxPixels?: number;
  headerOnly?: boolean;
  concurrency?: number;
}

/** JSON events are throttled: a 100,000-file scan should not print 100,000 lines. */
const PROGRESS_INTERVAL_MS = 250;

function progressReporter(out: CliOutput, split: 'train' | 'test'): { onProgress: (p: ScanProgress) => void; done: () => void } {
  let bar: ProgressBar | undefined;
  let last = 0;
  let latest: ScanProgress | undefined;
  const emit = (p: ScanProgress): void => out.event('progress', { split, ...p });
  return {
    onProgress(p) {
      latest = p;
      if (p.phase === 'checking') {
        bar ??= out.progress(`scanning ${split}`, p.total);
        bar.update(p.checked);
      }
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        emit(p);
      }
    },
    done() {
      bar?.stop();
      if (latest) emit(latest);
    },
  };
}

function printGrouped(out: CliOutput, title: string, root: string, entries: readonly (DatasetIssue | DatasetWarning)[]): void {
  if (entries.length === 0) return;
  out.line(`${title} (${entries.length}):`);
  const byReason = new Map<string, (DatasetIssue | DatasetWarning)[]>();
  for (const entry of entries) {
    const list = byReason.get(entry.reason);
    if (list) list.push(entry);
    else byReason.set(entry.reason, [entry]);
  }
  for (const [reason, list] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    const text = reasonText(reason);
    out.line(`  ${text.title} (${list.length}): ${text.action}`);
    for (const entry of list) out.line(`    ${relative(root, entry.path) || '.'}: ${entry.detail}`);
  }
}

function printSplit(out: CliOutput, label: string, scan: ImageFolderScan): void {
  const unusable = scan.classes.reduce((n, c) => n + c.unusable, 0);
  out.line(`${label}: ${scan.root}`);
  out.line(`  ${scan.classes.length} classes, ${scan.images.length} usable images, ${scan.issues.length} issues, ${scan.hiddenSkipped} hidden entries skipped`);
  out.line();
  if (scan.classes.length > 0) {
    out.line(formatTable(['class', 'index', 'images', 'unusable'], scan.classes.map((c) => [c.name, c.index, c.images, c.unusable])));
    out.line();
  }
  if (scan.imbalance && scan.classes.length > 1) {
    const { largest, smallest, ratio } = scan.imbalance;
    out.line(`imbalance: ${largest.name} has ${largest.images} images, ${smallest.name} has ${smallest.images} (${ratio.toFixed(2)}×)`);
    out.line();
  }
  printGrouped(out, 'not used', scan.root, scan.issues);
  printGrouped(out, 'used, with a warning', scan.root, scan.warnings);
  if (unusable > 0 || scan.issues.length > 0 || scan.warnings.length > 0) out.line();
}

function printComparison(out: CliOutput, train: ImageFolderScan, test: ImageFolderScan, comparison: SplitComparison): void {
  if (comparison.trainOnly.length > 0) out.line(`classes only in train: ${comparison.trainOnly.join(', ')}`);
  if (comparison.testOnly.length > 0) out.line(`classes only in test: ${comparison.testOnly.join(', ')}`);
  if (!comparison.sameClasses) out.line('the splits list different classes, so class indices differ between them');
  if (comparison.shared.length === 0) {
    out.line('no image appears in both train and test');
    return;
  }
  out.line(`images in both train and test (${comparison.shared.length}):`);
  for (const s of comparison.shared) {
    out.line(`  ${s.train.map((p) => relative(train.root, p)).join(', ')}  =  ${s.test.map((p) => relative(test.root, p)).join(', ')}`);
  }
}

export function registerScan(program: Command, ctx: CliContext): void {
  withJsonOption(
    program
      .command('scan')
      .description('check an image folder: classes, counts, unreadable files, leakage')
      .argument('<dir>', 'image folder with one subfolder per class')
      .option('--test <dir>', 'a test folder to compare: classes in one split only, images in both')
      .option('--max-pixels <n>', `refuse images above this many pixels (default ${DEFAULT_MAX_PIXELS})`, parsePositiveInt)
      .option('--header-only', 'check headers only: faster, but truncated pixel data goes unnoticed')
      .option('--concurrency <n>', 'files checked at once (default: number of CPUs, at least 4)', parsePositiveInt),
  ).action(async (dir: string, options: ScanCommandOptions) => {
    const out = outputFor(ctx, options);
    const scanSplit = async (root: string, split: 'train' | 'test'): Promise<ImageFolderScan> => {
      const progress = progressReporter(out, split);
      try {
        return await scanImageFolder(root, {
          onProgress: progress.onProgress,
          ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
          ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
          verifyPixels: options.headerOnly !== true,
        });
      } finally {
        progress.done();
      }
    };
    const train = await scanSplit(dir, 'train');
    const test = options.test !== undefined ? await scanSplit(options.test, 'test') : undefined;
    const comparison = test ? compareSplits(train, test) : undefined;

    out.summary({ ...scanSummary(train, test) });
    printSplit(out, test ? 'train' : 'folder', train);
    if (test && comparison) {
      printSplit(out, 'test', test);
      printComparison(out, train, test, comparison);
    }
  });
}
