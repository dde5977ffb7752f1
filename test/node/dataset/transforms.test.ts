import { describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION } from '../../../src-main/common/normalization';
import { createRng, deriveSeed, shuffledIndices, type Rng } from '../../../src-main/node/dataset/random';
import {
  augmentForTraining,
  cropResizeFlip,
  normalizeRgb,
  normalizeRgbInto,
  randomResizedCropBox,
  roundHalfEven,
} from '../../../src-main/node/dataset/transforms';
import type { RgbImage } from '../../../src-main/node/dataset/decode';

/** An Rng that replays fixed draws, to steer the crop sampler into its branches. */
function scripted(values: readonly number[]): Rng {
  let i = 0;
  const next = (): number => {
    if (i >= values.length) throw new Error('scripted rng ran out');
    return values[i++] as number;
  };
  return { next, uniform: (lo, hi) => lo + (hi - lo) * next(), int: (lo, hi) => lo + Math.floor(next() * (hi - lo)) };
}

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 77], (y * width + x) * 3);
  return { data, width, height };
}

describe('seeded PRNG', () => {
  it('is reproducible per seed, differs across seeds, and stays in range', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c.next())).not.toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // Roughly uniform: the mean of 1000 draws is within 0.05 of 0.5.
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05);
    const ints = Array.from({ length: 500 }, () => a.int(3, 7));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5, 6]));
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1));
  });

  it('shuffles into a permutation', () => {
    const order = [...shuffledIndices(50, createRng(1))];
    expect([...order].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(order).not.toEqual([...Array(50).keys()]);
  });
});

describe('train transform: torchvision RandomResizedCrop + RandomHorizontalFlip', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, -2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, -2, 2, 3]);
  });

  it('takes the first fitting try: area from scale, ratio log-uniform, offsets uniform', () => {
    // scale draw 0.5 → area 0.08 + 0.46 = 0.54 of 200×100; log-ratio draw 0.5 → ratio 1.
    // w = h = round(sqrt(10800)) = round(103.92) = 104 > 100 → does not fit; second try:
    // scale draw 0 → area 0.08 × 20000 = 1600; ratio draw 0.5 → 1 → w = h = 40; top draw 0.5 → 30; left draw 0.25 → 40.
    const box = randomResizedCropBox(200, 100, scripted([0.5, 0.5, 0, 0.5, 0.5, 0.25]));
    expect(box).toEqual({ left: 40, top: 30, width: 40, height: 40 });
  });

  it('falls back to the largest center crop within the ratio range after 10 misses', () => {
    // Every try asks for (almost) the whole area at the widest ratio: on a 100 × 10 strip that is
    // 37 × 27, taller than the strip, so all 10 tries miss.
    const misses = Array.from({ length: 20 }, () => 1 - 1e-12);
    // Wide image: h = 10, w = round(10 × 4/3) = 13, centered: left = (100 - 13) // 2 = 43.
    expect(randomResizedCropBox(100, 10, scripted(misses))).toEqual({ left: 43, top: 0, width: 13, height: 10 });
    // Tall image: w = 10, h = round(10 / (3/4)) = 13, top = (100 - 13) // 2 = 43.
    expect(randomResizedCropBox(10, 100, scripted(misses))).toEqual({ left: 0, top: 43, width: 10, height: 13 });
    // The image's own ratio is within range (every try at ratio 2 misses): the whole image.
    expect(randomResizedCropBox(30, 30, scripted(misses), [0.08, 1], [0.5, 2])).toEqual({ left: 0, top: 0, width: 30, height: 30 });
  });

  it('samples boxes inside the image with area and ratio in range', () => {
    const rng = createRng(7);
    for (let i = 0; i < 500; i++) {
      const box = randomResizedCropBox(500, 375, rng);
      expect(box.left + box.width).toBeLessThanOrEqual(500);
      expect(box.top + box.height).toBeLessThanOrEqual(375);
      const area = (box.width * box.height) / (500 * 375);
      expect(area).toBeGreaterThan(0.07);
      expect(area).toBeLessThanOrEqual(1.01);
      const ratio = box.width / box.height;
      expect(ratio).toBeGreaterThan(0.7);
      expect(ratio).toBeLessThan(1.4);
    }
  });

  it('crops, resizes and mirrors', async () => {
    const image = gradient(20, 10);
    const plain = await cropResizeFlip(image, { left: 5, top: 2, width: 4, height: 4 }, 4, false);
    expect([plain.width, plain.height]).toEqual([4, 4]);
    // Same size: the crop is copied exactly; pixel (0, 0) of the crop is (5, 2) of the image.
    expect([...plain.data.subarray(0, 3)]).toEqual([50, 20, 77]);
    const flipped = await cropResizeFlip(image, { left: 5, top: 2, width: 4, height: 4 }, 4, true);
    expect([...flipped.data.subarray(0, 3)]).toEqual([80, 20, 77]);
  });

  it('is reproducible for a seed and produces size × size', async () => {
    const image = gradient(25, 19);
    const options = { size: 8, normalization: IMAGENET_NORMALIZATION };
    const a = await augmentForTraining(image, options, createRng(5));
    const b = await augmentForTraining(image, options, createRng(5));
    expect([a.width, a.height]).toEqual([8, 8]);
    expect(a.data).toEqual(b.data);
  });
});

describe('normalization', () => {
  it('matches (x / 255 - mean) / std in float32 for every byte value and channel', () => {
    const data = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v++) data.set([v, v, v], v * 3);
    const out = normalizeRgb({ data, width: 256, height: 1 }, IMAGENET_NORMALIZATION);
    const { mean, std } = IMAGENET_NORMALIZATION;
    for (let v = 0; v < 256; v++) {
      for (let c = 0; c < 3; c++) {
        const expected = Math.fround(Math.fround(Math.fround(v / 255) - Math.fround(mean[c] as number)) / Math.fround(std[c] as number));
        expect(out[v * 3 + c]).toBe(expected);
      }
    }
    expect(out[0]).toBeCloseTo(-0.485 / 0.229, 5);
  });

  it('writes into a batch slot and refuses to overflow it', () => {
    const image = { data: new Uint8Array([255, 255, 255]), width: 1, height: 1 };
    const batch = new Float32Array(6);
    normalizeRgbInto(image, IMAGENET_NORMALIZATION, batch, 3);
    expect(batch[0]).toBe(0);
    expect(batch[3]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(() => normalizeRgbInto(image, IMAGENET_NORMALIZATION, batch, 4)).toThrow(RangeError);
  });
});
