/**
 * `images.thumbnails`: small JPEG previews as data URLs, so a UI can show images from the engine's
 * disk without a file server (the desktop window may not read files, and a browser tab cannot).
 */
import sharp from 'sharp';
import type { CallParams, CallResult, Thumbnail } from '../../common/contract';
import { toErrorData, WorkbenchError } from '../../common/errors';
import { DEFAULT_MAX_FILE_BYTES } from '../dataset/checkImageFile';
import { DEFAULT_MAX_PIXELS } from '../dataset/decode';
import { DECODABLE_FORMATS, SNIFF_BYTES, sniffImageFormat } from '../dataset/formats';
import { readRegularFile } from '../io/regularFile';
import type { PathChecker } from './pathPolicy';

/** sharp decodes on its own thread pool; a few at a time keeps memory bounded for 200 large photos. */
const CONCURRENT_DECODES = 4;

async function thumbnailOf(raw: string, size: number, paths: PathChecker): Promise<Thumbnail> {
  try {
    const file = await paths.existing(raw, 'file', 'The image');
    // The same rule as every image the engine reads: a regular file under the size cap, sniffed as
    // one of the decodable formats before sharp sees it (no SVG, no libvips .v, no device or FIFO).
    // The bytes read are what is decoded, so the file cannot change between the check and the decode.
    const bytes = await readRegularFile(file, { maxBytes: DEFAULT_MAX_FILE_BYTES, what: 'The image' });
    const format = sniffImageFormat(bytes.subarray(0, SNIFF_BYTES));
    if (!format || !DECODABLE_FORMATS.has(format)) {
      throw new WorkbenchError('BAD_INPUT', `${file} is not an image this app reads (${format ? format.toUpperCase() : 'unknown content'}; readable: ${[...DECODABLE_FORMATS].join(', ')}).`);
    }
    const { data, info } = await sharp(bytes, { limitInputPixels: DEFAULT_MAX_PIXELS, failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 80 })
      .toBuffer({ resolveWithObject: true })
      .catch((error: unknown) => {
        throw new WorkbenchError('BAD_INPUT', `${file} cannot be read as an image: ${(error as Error).message}`);
      });
    return { path: raw, dataUrl: `data:image/jpeg;base64,${data.toString('base64')}`, width: info.width, height: info.height };
  } catch (error) {
    return { path: raw, error: toErrorData(error) };
  }
}

export async function thumbnails(params: CallParams<'images.thumbnails'>, paths: PathChecker): Promise<CallResult<'images.thumbnails'>> {
  const results: Thumbnail[] = new Array<Thumbnail>(params.paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < params.paths.length) {
      const index = next++;
      results[index] = await thumbnailOf(params.paths[index] as string, params.size, paths);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_DECODES, params.paths.length) }, worker));
  return { thumbnails: results };
}
