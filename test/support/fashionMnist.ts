/**
 * Fashion-MNIST (Zalando, MIT licence) from Debian's `dataset-fashion-mnist` package: a reader for its
 * IDX files and a writer of ImageFolder trees. Used to build the bundled sample data set and realistic
 * test data; nothing is downloaded.
 *
 *   npx tsx test/support/fashionMnist.ts --sample   # regenerates resources/sample-fashion
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

export const FASHION_MNIST_FOLDER = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'] as const;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

export function fashionMnistAvailable(): boolean {
  return existsSync(path.join(FASHION_MNIST_FOLDER, 't10k-images-idx3-ubyte.gz'));
}

/** Read one split ('train' or 't10k') of the IDX files. */
export function readFashionMnist(split: 'train' | 't10k'): IdxImages {
  const images = gunzipSync(readFileSync(path.join(FASHION_MNIST_FOLDER, `${split}-images-idx3-ubyte.gz`)));
  const labels = gunzipSync(readFileSync(path.join(FASHION_MNIST_FOLDER, `${split}-labels-idx1-ubyte.gz`)));
  if (images.readUInt32BE(0) !== 0x803 || labels.readUInt32BE(0) !== 0x801) throw new Error('not Fashion-MNIST IDX files');
  const count = images.readUInt32BE(4);
  const rows = images.readUInt32BE(8);
  const cols = images.readUInt32BE(12);
  return { count, rows, cols, pixels: images.subarray(16), labels: labels.subarray(8, 8 + count) };
}

/**
 * Write the first `perClass` images of each chosen class as greyscale PNGs into `root/<class>/`.
 * `skip` images per class are passed over first, so train and test can be drawn without overlap.
 */
export async function writeImageFolder(data: IdxImages, root: string, classes: readonly number[], perClass: number, skip = 0): Promise<void> {
  const seen = new Map<number, number>();
  const size = data.rows * data.cols;
  for (let i = 0; i < data.count; i++) {
    const label = data.labels[i] as number;
    if (!classes.includes(label)) continue;
    const n = seen.get(label) ?? 0;
    seen.set(label, n + 1);
    if (n < skip || n >= skip + perClass) continue;
    const folder = path.join(root, FASHION_MNIST_CLASSES[label] as string);
    await mkdir(folder, { recursive: true });
    const png = await sharp(data.pixels.subarray(i * size, (i + 1) * size), { raw: { width: data.cols, height: data.rows, channels: 1 } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    await writeFile(path.join(folder, `${String(i).padStart(5, '0')}.png`), png);
  }
}

/** The bundled demo data set: 5 classes, 80 train and 20 test images each, from Fashion-MNIST's test split. */
export const SAMPLE_CLASSES = [0, 1, 3, 7, 8];

async function makeSample(): Promise<void> {
  const root = path.resolve(import.meta.dirname, '../../resources/sample-fashion');
  await rm(path.join(root, 'train'), { recursive: true, force: true });
  await rm(path.join(root, 'test'), { recursive: true, force: true });
  const data = readFashionMnist('t10k');
  await writeImageFolder(data, path.join(root, 'train'), SAMPLE_CLASSES, 80);
  await writeImageFolder(data, path.join(root, 'test'), SAMPLE_CLASSES, 20, 80);
}

if (process.argv.includes('--sample')) await makeSample();
