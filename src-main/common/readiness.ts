/**
 * Whether a scanned data set can train, said before Start: the checks a run makes on its data
 * (node/train/dataSplit.ts) in the user's words, with a way out where there is one. A green scan used
 * to lead to a run that failed at once with BAD_INPUT; the run keeps its own checks as the last line.
 */
import type { z } from 'zod';
import type { scanSummarySchema } from './contract';

export type ScanSummary = z.output<typeof scanSummarySchema>;

export interface Readiness {
  ready: boolean;
  /** What stops a run, each a sentence with what to do; empty when ready. */
  blockers: string[];
  /** The folder scanned as the train folder holds the train and test folders of a split: use those. */
  splitParent: { train: string; test: string } | null;
}

const TRAIN_NAMES = new Set(['train', 'training']);
const TEST_NAMES = new Set(['test', 'testing', 'val', 'valid', 'validation']);

/** A child path of a folder the engine named, with that folder's own separator. */
function childPath(root: string, name: string): string {
  const separator = root.includes('\\') && !root.includes('/') ? '\\' : '/';
  return root.endsWith(separator) ? `${root}${name}` : `${root}${separator}${name}`;
}

function list(names: readonly string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 6).join(', ')} and ${names.length - 6} more`;
}

export function trainingReadiness(scan: ScanSummary, valSplit: number): Readiness {
  const blockers: string[] = [];
  const classes = scan.classes;
  const names = classes.map((c) => c.name);
  const trainName = names.find((n) => TRAIN_NAMES.has(n.toLowerCase()));
  const testName = names.find((n) => TEST_NAMES.has(n.toLowerCase()));
  if (trainName !== undefined && testName !== undefined) {
    blockers.push(
      `${scan.root} looks like the folder above a split: it holds "${trainName}" and "${testName}", which would be trained as two classes. Choose "${trainName}" as the train folder and "${testName}" as the test folder.`,
    );
    return { ready: false, blockers, splitParent: { train: childPath(scan.root, trainName), test: childPath(scan.root, testName) } };
  }
  if (classes.length === 0) {
    const loose = scan.issues.filter((i) => i.reason === 'outside-class-folder').length;
    blockers.push(
      `${scan.root} has no class folders${loose > 0 ? ` (its ${loose} image(s) sit directly in it)` : ''}: put the images in one subfolder per class, such as ${childPath(scan.root, 'cat')} and ${childPath(scan.root, 'dog')}.`,
    );
  } else if (classes.length === 1) {
    blockers.push(`${scan.root} has one class folder (${names[0]}); training needs at least two classes, one subfolder each.`);
  }
  const empty = classes.filter((c) => c.images === 0).map((c) => c.name);
  if (classes.length > 0 && empty.length > 0) {
    blockers.push(`${empty.length === 1 ? 'This class folder has' : 'These class folders have'} no usable image: ${list(empty)}. Add images, or remove the folder${empty.length === 1 ? '' : 's'}.`);
  }
  const single = classes.filter((c) => c.images === 1).map((c) => c.name);
  if (valSplit > 0 && single.length > 0) {
    blockers.push(
      `${single.length === 1 ? 'This class has' : 'These classes have'} a single image, so none can be held out for validation: ${list(single)}. Add images, or set the validation fraction to 0 and keep the last epoch (with a test folder).`,
    );
  }
  if (scan.test !== null && blockers.length === 0) {
    const trainClasses = new Set(classes.filter((c) => c.images > 0).map((c) => c.name));
    const shared = scan.test.classes.filter((c) => c.images > 0 && trainClasses.has(c.name));
    if (shared.length === 0) blockers.push(`The test folder ${scan.test.root} has no usable image of a class the train folder has: its subfolders must be named like the train folder's.`);
  }
  return { ready: blockers.length === 0, blockers, splitParent: null };
}
