/**
 * The 1000 ImageNet-1K class names in class-index order (torchvision's `_IMAGENET_CATEGORIES`), read
 * once from resources/imagenet-classes.json and cached.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WorkbenchError } from '../common/errors';

export const IMAGENET_CLASS_COUNT = 1000;

/**
 * Both in the sources (src-main/node/) and in the electron-vite bundle (out/main/), the resources
 * folder is two levels up.
 */
const DEFAULT_FILE = fileURLToPath(new URL('../../resources/imagenet-classes.json', import.meta.url));

let cached: Promise<readonly string[]> | undefined;

async function readClasses(file: string): Promise<readonly string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new WorkbenchError('IO', `Could not read the ImageNet class names from '${file}': ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(parsed) || parsed.length !== IMAGENET_CLASS_COUNT || !parsed.every((n) => typeof n === 'string')) {
    const found = Array.isArray(parsed) ? `an array of ${parsed.length} entries` : typeof parsed;
    throw new WorkbenchError('INTERNAL', `'${file}' must hold ${IMAGENET_CLASS_COUNT} class names; found ${found}.`);
  }
  return Object.freeze(parsed as string[]);
}

/**
 * The class names, index i = output i of a torchvision ImageNet head. `file` (default: the bundled
 * resources/imagenet-classes.json) is for tests; only the default file is cached.
 */
export function loadImagenetClasses(file?: string): Promise<readonly string[]> {
  if (file !== undefined) return readClasses(file);
  cached ??= readClasses(DEFAULT_FILE).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
