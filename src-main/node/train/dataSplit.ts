/**
 * Which images train and which evaluate: the train folder's usable images, and either the test
 * folder's (classes matched by name) or a stratified hold-out of the train folder.
 */
import { WorkbenchError } from '../../common/errors';
import type { LabeledImage } from '../dataset/batchLoader';
import { compareSplits, type SplitComparison } from '../dataset/compareSplits';
import { createRng, deriveSeed, shuffledIndices } from '../dataset/random';
import type { ImageFolderScan } from '../dataset/scanImageFolder';

export interface RunData {
  classes: string[];
  train: LabeledImage[];
  eval: LabeledImage[];
  evalSplit: 'test' | 'validation';
  /** Present when a test folder was given. */
  comparison?: SplitComparison;
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
    const count = members.length >= 2 ? Math.max(1, Math.round(members.length * fraction)) : 0;
    order.forEach((index, position) => (position < count ? held : train).push(members[index] as LabeledImage));
  }
  const byPath = (a: LabeledImage, b: LabeledImage): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { train: train.sort(byPath), held: held.sort(byPath) };
}

export function prepareRunData(train: ImageFolderScan, test: ImageFolderScan | undefined, valSplit: number, seed: number): RunData {
  const classes = train.classes.map((c) => c.name);
  if (classes.length < 2) throw new WorkbenchError('BAD_INPUT', `${train.root} has ${classes.length} class folder(s); training needs at least two.`);
  const empty = train.classes.filter((c) => c.images === 0).map((c) => c.name);
  if (empty.length > 0) throw new WorkbenchError('BAD_INPUT', `These classes of ${train.root} have no usable image: ${empty.join(', ')}. Add images or remove the folders.`);
  const notices: string[] = [];
  if (train.issues.length > 0) notices.push(`${train.issues.length} file(s) in ${train.root} cannot be used and are skipped (run 'scan' for the list).`);
  const trainImages = train.images.map((i) => ({ path: i.path, label: i.classIndex }));
  if (!test) {
    const { train: kept, held } = stratifiedSplit(trainImages, classes.length, valSplit, seed);
    notices.push(`No test folder: ${held.length} train image(s) (${Math.round(valSplit * 100)}% of each class) are held out for validation.`);
    return { classes, train: kept, eval: held, evalSplit: 'validation', notices };
  }
  const comparison = compareSplits(train, test);
  if (comparison.testOnly.length > 0) {
    notices.push(`Test classes not in the train folder are left out of evaluation: ${comparison.testOnly.join(', ')}.`);
  }
  if (comparison.trainOnly.length > 0) notices.push(`Train classes with no test folder: ${comparison.trainOnly.join(', ')}.`);
  if (comparison.shared.length > 0) notices.push(`${comparison.shared.length} image(s) appear in both train and test; test accuracy will be optimistic.`);
  if (test.issues.length > 0) notices.push(`${test.issues.length} file(s) in ${test.root} cannot be used and are skipped.`);
  const indexOf = new Map(classes.map((name, i) => [name, i]));
  const evalImages: LabeledImage[] = [];
  for (const image of test.images) {
    const name = test.classes[image.classIndex]?.name;
    const label = name === undefined ? undefined : indexOf.get(name);
    if (label !== undefined) evalImages.push({ path: image.path, label });
  }
  if (evalImages.length === 0) throw new WorkbenchError('BAD_INPUT', `${test.root} has no usable image of a class the train folder has.`);
  return { classes, train: trainImages, eval: evalImages, evalSplit: 'test', comparison, notices };
}
