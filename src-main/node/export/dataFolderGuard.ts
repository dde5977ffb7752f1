/**
 * An export never lands inside a folder of training or test images: there the next scan would read a
 * model file as a broken image of a class, and a tfjs folder (or any folder) in a train folder's top
 * level as a new class. Links are resolved on both sides, so a link into a data folder is refused too.
 */
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import { isInside } from '../io/pathInside';
import { realPathOf } from '../io/realPath';

/** A folder the engine reads images from, and what it is to the user ("the training images of run X"). */
export interface DataFolder {
  folder: string;
  what: string;
}

/** Throws BAD_INPUT, saying which folder and what to do, when `target` is inside one of `folders`. */
export async function assertOutsideDataFolders(target: string, folders: readonly DataFolder[]): Promise<void> {
  const real = await realPathOf(target);
  for (const { folder, what } of folders) {
    const root = await realPathOf(folder);
    if (!isInside(root, real)) continue;
    throw new WorkbenchError(
      'BAD_INPUT',
      `'${target}' is inside ${folder}, the folder of ${what}. A model saved there would be read as an image (or a new class) the next time that folder is used for training. Choose a folder outside it, such as ${path.dirname(root)}.`,
    );
  }
}
