/**
 * Builds the real-world faults a data set folder has, inside the test: images in every odd
 * encoding, damaged files, links that leave or loop, and a snapshot of every file to prove a scan
 * changes nothing.
 */
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

export async function makeTempDir(prefix = 'rw-dataset-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  // Restore permissions first so a non-root run can delete what it made unreadable.
  await chmod(dir, 0o755).catch(() => {});
  await rm(dir, { recursive: true, force: true });
}

async function put(path: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

/** w × h RGB bytes, every pixel `rgb`. */
export function solid(width: number, height: number, rgb: readonly [number, number, number]): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(rgb, i * 3);
  return out;
}

/** A textured RGB image (so JPEG has real data to encode), deterministic. */
export function texture(width: number, height: number, seed = 1): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      out[i] = (x * 255) / width;
      out[i + 1] = (y * 255) / height;
      out[i + 2] = ((x * 7 + y * 13 + seed * 31) * 2654435761) % 256;
    }
  }
  return out;
}

export async function jpegOf(width: number, height: number, rgb: Buffer, quality = 90): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

export async function pngOf(width: number, height: number, pixels: Buffer, channels: 1 | 2 | 3 | 4 = 3): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels } }).png().toBuffer();
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG written byte by byte: `rows` are unfiltered scanlines (a filter byte 0 is added). */
export function rawPng(width: number, height: number, bitDepth: 8 | 16, colourType: 0 | 2 | 6, rows: Buffer, idat?: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  const stride = rows.length / height;
  const filtered = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) rows.copy(filtered, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat ?? deflateSync(filtered)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** 16-bit grey PNG with the given samples (big-endian in the file, as PNG requires). */
export function grey16Png(width: number, height: number, samples: readonly number[]): Buffer {
  const rows = Buffer.alloc(width * height * 2);
  samples.forEach((v, i) => rows.writeUInt16BE(v, i * 2));
  return rawPng(width, height, 16, 0, rows);
}

/** A 274-byte PNG whose header declares 20000 × 20000 pixels (a decompression bomb's shape). */
export function pixelBombPng(): Buffer {
  // One row of zeros compresses to almost nothing; no decoder should get that far anyway.
  return rawPng(20000, 20000, 8, 0, Buffer.alloc(0), deflateSync(Buffer.alloc(20001 * 4)));
}

/** 32 × 16 JPEG, left half red and right half blue, tagged with EXIF orientation 6 (rotate 90° clockwise to view). */
export async function exifRotatedJpeg(): Promise<Buffer> {
  const pixels = Buffer.alloc(32 * 16 * 3);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) pixels.set(x < 16 ? [255, 0, 0] : [0, 0, 255], (y * 32 + x) * 3);
  return sharp(pixels, { raw: { width: 32, height: 16, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
}

/** A CMYK JPEG of an almost white 16 × 8 image. */
export async function cmykJpeg(): Promise<Buffer> {
  return sharp(solid(16, 8, [250, 250, 250]), { raw: { width: 16, height: 8, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
}

/** 2 × 1 RGBA: red fully transparent, blue half transparent. */
export async function rgbaPng(): Promise<Buffer> {
  return pngOf(2, 1, Buffer.from([255, 0, 0, 0, 0, 0, 255, 128]), 4);
}

export async function palettePng(): Promise<Buffer> {
  const pixels = Buffer.concat([solid(4, 2, [255, 0, 0]), solid(4, 2, [0, 255, 0])]);
  return sharp(pixels, { raw: { width: 4, height: 4, channels: 3 } }).png({ palette: true }).toBuffer();
}

/** Every entry below `root` (links not followed) with what could change: content hash, mode, mtime, link target. */
export async function snapshotTree(root: string): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const info = await lstat(path);
      const base = `mode=${info.mode.toString(8)} mtime=${info.mtimeMs} size=${info.size}`;
      if (info.isSymbolicLink()) snapshot.set(path, `${base} link=${await readlink(path)}`);
      else if (info.isDirectory()) {
        snapshot.set(path, base);
        await walk(path);
      } else {
        // Root reads files whatever their mode; hash when we can, note when we cannot.
        const hash = await readFile(path).then(
          (bytes) => createHash('sha256').update(bytes).digest('hex'),
          () => 'unreadable',
        );
        snapshot.set(path, `${base} sha256=${hash}`);
      }
    }
  };
  await walk(root);
  return snapshot;
}

export interface FaultyDataset {
  base: string;
  train: string;
  test: string;
  /** Path (relative to train or test root) → expected issue reason. */
  expectedTrainIssues: Record<string, string>;
  expectedTrainCounts: Record<string, number>;
  expectedTestCounts: Record<string, number>;
}

/**
 * train/ with classes cat (every odd-but-valid encoding and every fault), dog, and an empty class;
 * test/ with cat, dog and an extra class bird, and a renamed copy of a train image.
 */
export async function buildFaultyDataset(base: string): Promise<FaultyDataset> {
  const train = join(base, 'train');
  const test = join(base, 'test');
  const cat = join(train, 'cat');
  const good = await jpegOf(40, 30, texture(40, 30, 1));
  const goodPng = await pngOf(20, 10, texture(20, 10, 2));
  const truncatedSource = await jpegOf(64, 48, texture(64, 48, 3));
  const truncatedPngSource = await pngOf(64, 48, texture(64, 48, 4));

  await put(join(cat, 'good.jpg'), good);
  await put(join(cat, 'good.png'), goodPng);
  await put(join(cat, 'ünïcödé name 猫 with spaces.jpg'), await jpegOf(24, 24, texture(24, 24, 5)));
  await put(join(cat, 'rotated.jpg'), await exifRotatedJpeg());
  await put(join(cat, 'cmyk.jpg'), await cmykJpeg());
  await put(join(cat, 'grey16.png'), grey16Png(3, 2, [0, 65535, 32768, 1000, 20000, 60000]));
  await put(join(cat, 'rgba.png'), await rgbaPng());
  await put(join(cat, 'palette.png'), await palettePng());
  await put(join(cat, 'jpeg content.png'), await jpegOf(16, 16, texture(16, 16, 6)));
  await put(join(cat, 'nested', 'deeper', 'deep.jpg'), await jpegOf(16, 16, texture(16, 16, 7)));
  await put(join(cat, 'truncated.jpg'), truncatedSource.subarray(0, Math.floor(truncatedSource.length / 2)));
  await put(join(cat, 'truncated.png'), truncatedPngSource.subarray(0, Math.floor(truncatedPngSource.length / 2)));
  await put(join(cat, 'zero.jpg'), new Uint8Array(0));
  await put(join(cat, 'random.jpg'), Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 131 + 17) % 256)));
  await put(join(cat, 'bomb.png'), pixelBombPng());
  await put(join(cat, 'notes.txt'), 'not an image\n');
  await put(join(cat, 'image.bmp'), Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]));
  await put(join(cat, '.DS_Store'), Buffer.alloc(100, 1));
  await put(join(cat, '.hidden', 'secret.jpg'), good);
  await put(join(base, 'outside.jpg'), good);
  // A loop (a folder linking to its own parent), a link out of the class, a broken link, and a
  // link to a folder inside the class.
  await symlink('..', join(cat, 'nested', 'loop'));
  await symlink(join(base, 'outside.jpg'), join(cat, 'escape.jpg'));
  await symlink(join(cat, 'missing.jpg'), join(cat, 'broken.jpg'));
  await symlink(join(cat, 'nested', 'deeper'), join(cat, 'alias'));

  await put(join(train, 'dog', 'a.jpg'), await jpegOf(30, 30, texture(30, 30, 8)));
  await put(join(train, 'dog', 'b.png'), await pngOf(30, 30, texture(30, 30, 9)));
  await mkdir(join(train, 'empty'), { recursive: true });
  await put(join(train, 'README.txt'), 'a file in the root\n');

  await put(join(test, 'cat', 'renamed copy.jpg'), good);
  await put(join(test, 'cat', 'other.png'), await pngOf(12, 12, texture(12, 12, 10)));
  await put(join(test, 'dog', 'c.jpg'), await jpegOf(18, 18, texture(18, 18, 11)));
  await put(join(test, 'bird', 'd.jpg'), await jpegOf(18, 18, texture(18, 18, 12)));

  return {
    base,
    train,
    test,
    expectedTrainIssues: {
      'cat/truncated.jpg': 'truncated',
      'cat/truncated.png': 'truncated',
      'cat/zero.jpg': 'zero-bytes',
      'cat/random.jpg': 'not-an-image',
      'cat/bomb.png': 'too-many-pixels',
      'cat/notes.txt': 'not-an-image',
      'cat/image.bmp': 'unsupported-format',
      'cat/nested/loop': 'symlink-loop',
      'cat/escape.jpg': 'symlink-escapes-class',
      'cat/broken.jpg': 'symlink-broken',
      'cat/alias': 'symlink-duplicate',
      empty: 'empty-class',
      'README.txt': 'outside-class-folder',
    },
    expectedTrainCounts: { cat: 10, dog: 2, empty: 0 },
    expectedTestCounts: { bird: 1, cat: 2, dog: 1 },
  };
}
