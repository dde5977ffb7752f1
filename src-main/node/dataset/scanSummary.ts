/**
 * The scan report as plain data: one split's classes, issues and imbalance, and for a train/test pair
 * what compareSplits found. The CLI's `scan --json` and the service's `dataset.scan` both print this,
 * so the two can never disagree.
 */
import { compareSplits } from './compareSplits';
import type { IssueReason, WarningReason } from './issues';
import type { ClassImbalance, ImageFolderScan } from './scanImageFolder';

export interface SplitSummary {
  root: string;
  /** Usable images. */
  images: number;
  classes: { name: string; index: number; images: number; unusable: number }[];
  issues: { path: string; reason: IssueReason; detail: string }[];
  warnings: { path: string; reason: WarningReason; detail: string }[];
  hiddenSkipped: number;
  imbalance: ClassImbalance | null;
}

export interface ScanSummary extends SplitSummary {
  test: SplitSummary | null;
  /** Null without a test folder. */
  classesInOneSplit: { trainOnly: string[]; testOnly: string[] } | null;
  /** Images present in both splits by content; null without a test folder. */
  sharedImages: { sha256: string; train: string[]; test: string[] }[] | null;
}

export function splitSummary(scan: ImageFolderScan): SplitSummary {
  return {
    root: scan.root,
    images: scan.images.length,
    classes: scan.classes.map((c) => ({ name: c.name, index: c.index, images: c.images, unusable: c.unusable })),
    issues: scan.issues.map((i) => ({ path: i.path, reason: i.reason, detail: i.detail })),
    warnings: scan.warnings.map((w) => ({ path: w.path, reason: w.reason, detail: w.detail })),
    hiddenSkipped: scan.hiddenSkipped,
    imbalance: scan.imbalance ? { largest: { ...scan.imbalance.largest }, smallest: { ...scan.imbalance.smallest }, ratio: scan.imbalance.ratio } : null,
  };
}

export function scanSummary(train: ImageFolderScan, test?: ImageFolderScan): ScanSummary {
  const comparison = test ? compareSplits(train, test) : undefined;
  return {
    ...splitSummary(train),
    test: test ? splitSummary(test) : null,
    classesInOneSplit: comparison ? { trainOnly: [...comparison.trainOnly], testOnly: [...comparison.testOnly] } : null,
    sharedImages: comparison ? comparison.shared.map((s) => ({ sha256: s.sha256, train: [...s.train], test: [...s.test] })) : null,
  };
}
