/** Scan reports for the Data screen's tests, shaped as dataset.scan returns them. */
import type { ScanSummaryData } from '../../../src-main/common/contract';

type Split = Omit<ScanSummaryData, 'test' | 'classesInOneSplit' | 'sharedImages'>;

function split(root: string, counts: Record<string, number>, extra: Partial<Split> = {}): Split {
  const classes = Object.entries(counts).map(([name, images], index) => ({ name, index, images, unusable: 0 }));
  const sorted = [...classes].sort((a, b) => b.images - a.images);
  const largest = sorted[0]!;
  const smallest = sorted.at(-1)!;
  return {
    root,
    images: classes.reduce((total, c) => total + c.images, 0),
    classes,
    issues: [],
    warnings: [],
    hiddenSkipped: 0,
    imbalance: { largest: { name: largest.name, images: largest.images }, smallest: { name: smallest.name, images: smallest.images }, ratio: largest.images / smallest.images },
    ...extra,
  };
}

/** A train folder alone: balanced, clean. */
export function cleanTrainScan(): ScanSummaryData {
  return { ...split('/data/train', { cat: 40, dog: 38 }), test: null, classesInOneSplit: null, sharedImages: null };
}

/** Train and test with everything worth warning about. */
export function troubledScan(): ScanSummaryData {
  const train = split(
    '/data/train',
    { cat: 120, dog: 30, bird: 10 },
    {
      issues: [
        { path: '/data/train/cat/a.jpg', reason: 'truncated', detail: 'JPEG data ends early (10 bytes)' },
        { path: '/data/train/cat/b.jpg', reason: 'truncated', detail: 'JPEG data ends early (12 bytes)' },
        { path: '/data/train/readme.txt', reason: 'outside-class-folder', detail: 'a file directly in the root; images belong in a class folder' },
      ],
      warnings: [{ path: '/data/train/dog/x.png', reason: 'extension-mismatch', detail: 'the content is JPEG; decoded as JPEG' }],
    },
  );
  train.classes[0]!.unusable = 2;
  return {
    ...train,
    test: split('/data/test', { cat: 20, dog: 10, fish: 5 }),
    classesInOneSplit: { trainOnly: ['bird'], testOnly: ['fish'] },
    sharedImages: [{ sha256: 'ab'.repeat(32), train: ['/data/train/cat/c.jpg'], test: ['/data/test/cat/c.jpg'] }],
  };
}

/** The folder above a split chosen as the train folder: its classes are "test" and "train". */
export function splitParentScan(): ScanSummaryData {
  return { ...split('/data/fashion', { test: 200, train: 500 }), test: null, classesInOneSplit: null, sharedImages: null };
}
