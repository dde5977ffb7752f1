/**
 * File-name extensions that mark a file as an image where listing by name is all there is (a folder
 * given to `predict`, the UI's file browser). Data sets are scanned by content instead.
 */
import path from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp']);

export function hasImageExtension(fileName: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(fileName).toLowerCase());
}
