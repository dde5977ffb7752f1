/**
 * Which images train, which choose the epoch and which are scored once: the train folder's usable
 * images minus a stratified validation hold-out, and the test folder's images (classes matched by
 * name) when there is one. The three splits are named as such everywhere the run reports them.
 */
import { WorkbenchError } from '../../common/errors';
import { runConfigConflicts, type RunConfig } from '../../common/runConfig';
import type { SkippedFile } from '../../common/runEvents';
import type { LabeledImage } from '../dataset/batchLoader';
import { compareSplits, type SplitComparison } from '../dataset/compareSplits';
import { createRng, deriveSeed, shuffledIndices } from '../dataset/random';
import type { ImageFolderScan } from '../dataset/scanImageFolder';

export interface RunData {
  classes: string[];
  train: LabeledImage[];
  /** Held out of the train folder; chooses the best epoch and drives early stopping. Empty with valSplit 0. */
  validation: LabeledImage[];
  /** The test folder's images, scored once at the end; undefined without a test folder. */
  test: LabeledImage[] | undefined;
  /**
   * Every image the run scores, validation first then test: what the backbone computes features
   * for besides the training images. Rows are told apart by path (see `splitOf`).
   */
  eval: LabeledImage[];
  /** The split of the headline figure: 'test' when there is a test folder, else 'validation'. */
  evalSplit: 'test' | 'validation';
  selectEpoch: RunConfig['selectEpoch'];
  /** Present when a test folder was given. */
  comparison?: SplitComparison;
  /** Files the scans found unusable: skipped, and reported with path and reason. */
  skipped: SkippedFile[];
  /** Things the user should know, in plain words. */
  notices: string[];
}

const SPLIT_STREAM = 0x73706c74;

/** Hold out `fraction` of every class (at least one image of each class with two or more). */
export function stratifiedSplit(images: readonly LabeledImage[], classCount: number, fraction: number, seed: number): { train: LabeledImage[]; held: LabeledImage[] } {
  const train: LabeledImage[] = [];
  const held: LabeledImage[] = [];
  for (let c = 0; c < classCount; c++) {
    const members = images.filter((i) => i.label === c);
    const order = shuffledIndices(members.length, createRng(deriveSeed(seed, SPLIT_STREAM, c)));
    const count = fraction > 0 && members.length >= 2 ? Math.min(members.length - 1, Math.max(1, Math.round(members.length * fraction))) : 0;
    order.forEach((index, position) => (position < count ? held : train).push(members[index] as LabeledImage));
  }
  const byPath = (a: LabeledImage, b: LabeledImage): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { train: train.sort(byPath), held: held.sort(byPath) };
}

function skippedOf(scan: ImageFolderScan, folder: SkippedFile['folder']): SkippedFile[] {
  // Empty class folders are reported by the class check; only files are "skipped".
  return scan.issues.filter((i) => i.reason !== 'empty-class').map((i) => ({ path: i.path, reason: i.reason, detail: i.detail, folder }));
}

export function prepareRunData(train: ImageFolderScan, test: ImageFolderScan | undefined, config: Pick<RunConfig, 'valSplit' | 'seed' | 'selectEpoch' | 'testDir' | 'patience'>): RunData {
  const conflicts = runConfigConflicts({ ...config } as RunConfig);
  if (conflicts.length > 0) throw new WorkbenchError('BAD_INPUT', conflicts.join('; '));
  const { valSplit, seed } = config;
  const classes = train.classes.map((c) => c.name);
  if (classes.length < 2) throw new WorkbenchError('BAD_INPUT', `${train.root} has ${classes.length} class folder(s); training needs at least two.`);
  const empty = train.classes.filter((c) => c.images === 0).map((c) => c.name);
  if (empty.length > 0) throw new WorkbenchError('BAD_INPUT', `These classes of ${train.root} have no usable image: ${empty.join(', ')}. Add images or remove the folders.`);
  const notices: string[] = [];
  const skipped = skippedOf(train, 'train');
  if (skipped.length > 0) notices.push(`${skipped.length} file(s) in ${train.root} cannot be used and are skipped (listed in the run's report).`);
  const trainImages = train.images.map((i) => ({ path: i.path, label: i.classIndex }));

  let kept = trainImages;
  let validation: LabeledImage[] = [];
  if (valSplit > 0) {
    // Checked before any work: a validation split that cannot score every class is no yardstick.
    const single = train.classes.filter((c) => c.images < 2).map((c) => c.name);
    if (single.length > 0) {
      throw new WorkbenchError(
        'BAD_INPUT',
        `These classes of ${train.root} have a single usable image, so none can be held out for validation: ${single.join(', ')}. Add images, or set the validation split to 0 and keep the last epoch (with a test folder).`,
      );
    }
    const split = stratifiedSplit(trainImages, classes.length, valSplit, seed);
    kept = split.train;
    validation = split.held;
    if (validation.length < 2) {
      throw new WorkbenchError('BAD_INPUT', `A validation split of ${Math.round(valSplit * 100)}% of ${train.root} holds ${validation.length} image(s): too few to choose an epoch. Add images or raise the validation split.`);
    }
    notices.push(`${validation.length} train image(s) (${Math.round(valSplit * 100)}% of each class) are held out for validation: they choose the best epoch${test ? '; the test folder is scored once, at the end' : ''}.`);
  } else {
    notices.push('No validation split: the last epoch is kept and the test folder is scored once, at the end.');
  }
  if (!test) return { classes, train: kept, validation, test: undefined, eval: validation, evalSplit: 'validation', selectEpoch: config.selectEpoch, skipped, notices };

  const comparison = compareSplits(train, test);
  if (comparison.testOnly.length > 0) {
    notices.push(`Test classes not in the train folder are left out of evaluation: ${comparison.testOnly.join(', ')}.`);
  }
  if (comparison.trainOnly.length > 0) notices.push(`Train classes with no test folder: ${comparison.trainOnly.join(', ')}.`);
  if (comparison.shared.length > 0) notices.push(`${comparison.shared.length} image(s) appear in both train and test; test accuracy will be optimistic.`);
  const testSkipped = skippedOf(test, 'test');
  if (testSkipped.length > 0) notices.push(`${testSkipped.length} file(s) in ${test.root} cannot be used and are skipped (listed in the run's report).`);
  const indexOf = new Map(classes.map((name, i) => [name, i]));
  const testImages: LabeledImage[] = [];
  for (const image of test.images) {
    const name = test.classes[image.classIndex]?.name;
    const label = name === undefined ? undefined : indexOf.get(name);
    if (label !== undefined) testImages.push({ path: image.path, label });
  }
  if (testImages.length === 0) throw new WorkbenchError('BAD_INPUT', `${test.root} has no usable image of a class the train folder has.`);
  return {
    classes,
    train: kept,
    validation,
    test: testImages,
    eval: [...validation, ...testImages],
    evalSplit: 'test',
    selectEpoch: config.selectEpoch,
    comparison,
    skipped: [...skipped, ...testSkipped],
    notices,
  };
}

/** Rows of an evaluation set (validation then test, as `RunData.eval`) split by which part they belong to. */
export function splitOf(data: RunData): (path: string) => 'validation' | 'test' {
  const validation = new Set(data.validation.map((i) => i.path));
  return (path) => (validation.has(path) ? 'validation' : 'test');
}
