/**
 * The WebAssembly SIMD resampler: built from its source, and byte for byte the JavaScript reference
 * (crop, Pillow resize, crop, flip one after the other), which transforms.reference.test.ts checks
 * against torchvision itself.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION, type Normalization } from '../../../src-main/common/normalization';
import type { RgbImage } from '../../../src-main/node/dataset/decode';
import { resamplePlanInJavaScript, wholeImage, type ResamplePlan } from '../../../src-main/node/dataset/pilResize';
import { createRng } from '../../../src-main/node/dataset/random';
import {
  resampleNormalizedWithSimdInto,
  resampleWithSimd,
  simdResamplerMemoryBytes,
  simdResamplerUnavailableReason,
} from '../../../src-main/node/dataset/simdResampler';
import { normalizeRgb, resamplerInUse } from '../../../src-main/node/dataset/transforms';
import { assemblePilResample, GENERATED_MODULE, generatedModuleSource } from '../../../src-main/node/dataset/wasm/assemble';

/** Noise with runs of 0 and 255, so clipping at both ends is exercised. */
function noise(width: number, height: number, seed: number): RgbImage {
  const rng = createRng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    const r = rng.next();
    data[i] = r < 0.05 ? 0 : r < 0.1 ? 255 : Math.floor(rng.next() * 256);
  }
  return { data, width, height };
}

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Float values whose bits differ (Object.is tells -0 from 0). */
function differingValues(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function normalizedWithSimd(image: RgbImage, plan: ResamplePlan, normalization: Normalization = IMAGENET_NORMALIZATION): Float32Array {
  const values = new Float32Array(plan.keep.width * plan.keep.height * 3);
  resampleNormalizedWithSimdInto(image, plan, normalization, values, 0);
  return values;
}

describe('the WebAssembly resampler module', () => {
  it('is what `npm run build:wasm` assembles from pilResample.wat', async () => {
    const committed = await readFile(GENERATED_MODULE, 'utf8');
    expect(committed, 'src-main/node/dataset/wasm/pilResampleWasm.ts is stale: run npm run build:wasm').toBe(generatedModuleSource(await assemblePilResample()));
  }, 60_000);

  it('runs here (Node has WebAssembly SIMD), and the transforms use it', () => {
    expect(simdResamplerUnavailableReason()).toBeUndefined();
    expect(resamplerInUse()).toEqual({ kind: 'wasm-simd' });
  });
});

describe('SIMD resampling equals the JavaScript reference, byte for byte', () => {
  it('on fixed cases: downscale, upscale, same size, 1-pixel images, a 40× reduction, crops at the edges, flips', () => {
    const cases: { image: RgbImage; plan: ResamplePlan }[] = [
      // Eval at 224: Resize(256) of 500×375 → 341×256, center crop at (58, 16).
      { image: noise(500, 375, 1), plan: { source: wholeImage(500, 375), width: 341, height: 256, keep: { left: 58, top: 16, width: 224, height: 224 }, flip: false } },
      // Upscaling a small crop, flipped (train).
      { image: noise(90, 100, 2), plan: { source: { left: 3, top: 7, width: 17, height: 13 }, width: 224, height: 224, keep: wholeImage(224, 224), flip: true } },
      // Same size: both passes are the identity.
      { image: noise(31, 29, 3), plan: { source: wholeImage(31, 29), width: 31, height: 29, keep: wholeImage(31, 29), flip: false } },
      { image: noise(1, 1, 4), plan: { source: wholeImage(1, 1), width: 7, height: 5, keep: { left: 6, top: 4, width: 1, height: 1 }, flip: true } },
      { image: noise(1, 1, 5), plan: { source: wholeImage(1, 1), width: 1, height: 1, keep: wholeImage(1, 1), flip: false } },
      // A 40× reduction: 81 taps per output sample.
      { image: noise(1600, 1200, 6), plan: { source: wholeImage(1600, 1200), width: 40, height: 30, keep: wholeImage(40, 30), flip: false } },
      // A crop touching the right and bottom edges, one output row.
      { image: noise(64, 48, 7), plan: { source: { left: 40, top: 30, width: 24, height: 18 }, width: 50, height: 1, keep: { left: 1, top: 0, width: 49, height: 1 }, flip: true } },
    ];
    for (const { image, plan } of cases) {
      const reference = resamplePlanInJavaScript(image, plan);
      const simd = resampleWithSimd(image, plan);
      expect([simd.width, simd.height]).toEqual([plan.keep.width, plan.keep.height]);
      expect(differingBytes(simd.data, reference.data), JSON.stringify(plan)).toBe(0);
      expect(differingValues(normalizedWithSimd(image, plan), normalizeRgb(reference, IMAGENET_NORMALIZATION)), JSON.stringify(plan)).toBe(0);
    }
  });

  it('on 300 random plans (sizes, crops before and after, flips)', () => {
    const rng = createRng(2026);
    const between = (lo: number, hi: number): number => rng.int(lo, hi + 1);
    let failures = 0;
    for (let t = 0; t < 300; t++) {
      const image = noise(between(1, 160), between(1, 160), 100 + t);
      const sw = between(1, image.width);
      const sh = between(1, image.height);
      const width = between(1, 200);
      const height = between(1, 200);
      const kw = between(1, width);
      const kh = between(1, height);
      const plan: ResamplePlan = {
        source: { left: between(0, image.width - sw), top: between(0, image.height - sh), width: sw, height: sh },
        width,
        height,
        keep: { left: between(0, width - kw), top: between(0, height - kh), width: kw, height: kh },
        flip: rng.next() < 0.5,
      };
      if (differingBytes(resampleWithSimd(image, plan).data, resamplePlanInJavaScript(image, plan).data) !== 0) failures++;
    }
    expect(failures).toBe(0);
  });
});

describe('SIMD normalization', () => {
  it('equals torchvision ToTensor + Normalize in float32 for every byte value and channel', () => {
    // 256 grey pixels hold every byte value in every channel; odd normalization constants too.
    const data = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v++) data.set([v, (v * 7) % 256, 255 - v], v * 3);
    const image = { data, width: 256, height: 1 };
    const plan = { source: wholeImage(256, 1), width: 256, height: 1, keep: wholeImage(256, 1), flip: false };
    for (const normalization of [IMAGENET_NORMALIZATION, { mean: [0.5, 0.1, 0.9], std: [0.3, 1.7, 0.05] } as const]) {
      const simd = normalizedWithSimd(image, plan, normalization);
      for (let i = 0; i < data.length; i++) {
        const c = i % 3;
        const expected = Math.fround(Math.fround(Math.fround((data[i] as number) / 255) - Math.fround(normalization.mean[c] as number)) / Math.fround(normalization.std[c] as number));
        expect(simd[i], `byte ${data[i]} channel ${c}`).toBe(expected);
      }
    }
  });

  it('writes only its slot of the target and refuses a slot that does not fit', () => {
    const image = noise(10, 10, 9);
    const plan = { source: wholeImage(10, 10), width: 4, height: 4, keep: wholeImage(4, 4), flip: false };
    const target = new Float32Array(4 * 4 * 3 * 3).fill(7);
    resampleNormalizedWithSimdInto(image, plan, IMAGENET_NORMALIZATION, target, 48);
    expect([...target.subarray(0, 48)].every((v) => v === 7)).toBe(true);
    expect([...target.subarray(96)].every((v) => v === 7)).toBe(true);
    expect(differingValues(target.subarray(48, 96), normalizeRgb(resamplePlanInJavaScript(image, plan), IMAGENET_NORMALIZATION))).toBe(0);
    expect(() => resampleNormalizedWithSimdInto(image, plan, IMAGENET_NORMALIZATION, target, 97)).toThrow(/do not fit/);
    expect(() => resampleNormalizedWithSimdInto(image, plan, IMAGENET_NORMALIZATION, target, -1)).toThrow(RangeError);
  });
});

describe('bad plans and memory', () => {
  it('refuses boxes outside the image or the resized image, and empty or fractional sizes', () => {
    const image = noise(20, 10, 11);
    const ok: ResamplePlan = { source: wholeImage(20, 10), width: 8, height: 8, keep: wholeImage(8, 8), flip: false };
    expect(() => resampleWithSimd(image, { ...ok, source: { left: 5, top: 0, width: 16, height: 10 } })).toThrow(/outside the 20×10 image/);
    expect(() => resampleWithSimd(image, { ...ok, keep: { left: 1, top: 0, width: 8, height: 8 } })).toThrow(/outside the 8×8 resized image/);
    expect(() => resampleWithSimd(image, { ...ok, width: 0 })).toThrow(RangeError);
    expect(() => resampleWithSimd(image, { ...ok, height: 2.5 })).toThrow(RangeError);
    expect(() => resampleWithSimd({ ...image, data: image.data.subarray(1) }, ok)).toThrow(/bytes/);
    expect(() => resamplePlanInJavaScript(image, { ...ok, source: { left: -1, top: 0, width: 5, height: 5 } })).toThrow(RangeError);
  });

  it('reuses its memory from image to image, and lets go of it after a huge image', () => {
    const image = noise(500, 375, 12);
    const plan: ResamplePlan = { source: wholeImage(500, 375), width: 341, height: 256, keep: { left: 58, top: 16, width: 224, height: 224 }, flip: false };
    const values = new Float32Array(224 * 224 * 3);
    resampleNormalizedWithSimdInto(image, plan, IMAGENET_NORMALIZATION, values, 0);
    const settled = simdResamplerMemoryBytes();
    for (let i = 0; i < 50; i++) resampleNormalizedWithSimdInto(image, plan, IMAGENET_NORMALIZATION, values, 0);
    expect(simdResamplerMemoryBytes()).toBe(settled);
    // 4900 × 4900 × 3 bytes = 72 MB, above what an instance keeps between images.
    const huge = { data: new Uint8Array(4900 * 4900 * 3).fill(128), width: 4900, height: 4900 };
    const small = resampleWithSimd(huge, { source: wholeImage(4900, 4900), width: 2, height: 2, keep: wholeImage(2, 2), flip: false });
    expect([...small.data]).toEqual(Array.from({ length: 12 }, () => 128));
    expect(simdResamplerMemoryBytes()).toBe(0);
    // A fresh instance, sized for this image again (not for the largest seen before).
    resampleNormalizedWithSimdInto(image, plan, IMAGENET_NORMALIZATION, values, 0);
    expect(simdResamplerMemoryBytes()).toBeGreaterThan(0);
    expect(simdResamplerMemoryBytes()).toBeLessThanOrEqual(settled);
  });
});
