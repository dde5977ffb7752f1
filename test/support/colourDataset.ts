/**
 * A tiny ImageFolder data set made in the test: noisy solid colours, one class per colour. Easy for
 * any backbone (even random weights) to separate, and decoded from real PNG files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export const COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  blue: [30, 60, 220],
  green: [40, 200, 60],
  red: [220, 40, 40],
};

export async function writeColourSplit(root: string, perClass: number, seed: number, size = 24): Promise<void> {
  let s = seed;
  const noise = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 24) - 128;
  };
  for (const [name, rgb] of Object.entries(COLOURS)) {
    await mkdir(path.join(root, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const px = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, (rgb[c] as number) + (noise() >> 1)));
      await writeFile(path.join(root, name, `${i}.png`), await sharp(px, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    }
  }
}
