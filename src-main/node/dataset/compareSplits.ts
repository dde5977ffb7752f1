/**
 * What goes wrong between a train and a test folder: classes that exist in only one of them (the
 * class indices then disagree between the splits), and the same image in both (test accuracy
 * measured on images the model was trained on). Images are matched by content hash, so renamed
 * copies are found too.
 */
import type { ImageFolderScan } from './scanImageFolder';

export interface SharedImage {
  /** SHA-256 of the content. */
  sha256: string;
  /** Paths holding this content in each split. */
  train: string[];
  test: string[];
}

export interface SplitComparison {
  /** Class names found in the train folder only. */
  trainOnly: string[];
  /** Class names found in the test folder only. */
  testOnly: string[];
  /** Whether both splits list the same class names, so the same name has the same index. */
  sameClasses: boolean;
  /** Images present in both splits, by content; ordered by the first train path. */
  shared: SharedImage[];
}

export function compareSplits(train: ImageFolderScan, test: ImageFolderScan): SplitComparison {
  const trainNames = new Set(train.classes.map((c) => c.name));
  const testNames = new Set(test.classes.map((c) => c.name));
  const trainOnly = train.classes.map((c) => c.name).filter((n) => !testNames.has(n));
  const testOnly = test.classes.map((c) => c.name).filter((n) => !trainNames.has(n));

  const trainByHash = new Map<string, string[]>();
  for (const image of train.images) {
    const paths = trainByHash.get(image.sha256);
    if (paths) paths.push(image.path);
    else trainByHash.set(image.sha256, [image.path]);
  }
  const sharedByHash = new Map<string, SharedImage>();
  for (const image of test.images) {
    const trainPaths = trainByHash.get(image.sha256);
    if (!trainPaths) continue;
    const entry = sharedByHash.get(image.sha256);
    if (entry) entry.test.push(image.path);
    else sharedByHash.set(image.sha256, { sha256: image.sha256, train: trainPaths, test: [image.path] });
  }
  const shared = [...sharedByHash.values()].sort((a, b) => ((a.train[0] ?? '') < (b.train[0] ?? '') ? -1 : 1));
  return {
    trainOnly,
    testOnly,
    sameClasses: trainOnly.length === 0 && testOnly.length === 0 && train.classes.length === test.classes.length,
    shared,
  };
}
