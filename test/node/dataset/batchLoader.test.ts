import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION } from '../../../src-main/common/normalization';
import { createBatchLoader, samplesFromScan, type Batch, type BatchLoaderOptions, type LabeledImage } from '../../../src-main/node/dataset/batchLoader';
import type { DatasetIssue } from '../../../src-main/node/dataset/issues';
import { jpegOf, makeTempDir, pngOf, removeDir, snapshotTree, solid, texture } from './imageFixtures';

const SIZE = 8;
const COLOURS: [number, number, number][] = [
  [200, 30, 30],
  [30, 200, 30],
  [30, 30, 200],
];
const EVAL: BatchLoaderOptions['transform'] = { kind: 'eval', options: { size: SIZE, crop: 1, normalization: IMAGENET_NORMALIZATION } };
const TRAIN: BatchLoaderOptions['transform'] = { kind: 'train', options: { size: SIZE, normalization: IMAGENET_NORMALIZATION } };

/** Undo the normalization of the first pixel of image `i` of a batch, back to a byte triple. */
function firstPixel(batch: Batch, i: number): number[] {
  const { mean, std } = IMAGENET_NORMALIZATION;
  const offset = i * SIZE * SIZE * 3;
  return [0, 1, 2].map((c) => Math.round(((batch.images[offset + c] as number) * (std[c] as number) + (mean[c] as number)) * 255));
}

async function collect(generator: AsyncGenerator<Batch>): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of generator) batches.push(batch);
  return batches;
}

describe('streaming batch loader', () => {
  let base: string;
  let samples: LabeledImage[];
  let badSamples: LabeledImage[];

  beforeAll(async () => {
    base = await makeTempDir();
    samples = [];
    // 10 solid-colour PNGs (lossless, so the colour identifies the class), of varied sizes.
    for (let i = 0; i < 10; i++) {
      const label = i % 3;
      const path = join(base, `class${label}`, `img${i}.png`);
      await mkdir(join(base, `class${label}`), { recursive: true });
      const [w, h] = [10 + i, 12 + ((i * 3) % 7)];
      await writeFile(path, await pngOf(w, h, solid(w, h, COLOURS[label] as [number, number, number])));
      samples.push({ path, label });
    }
    const jpeg = await jpegOf(32, 32, texture(32, 32));
    const truncated = join(base, 'class0', 'truncated.jpg');
    await writeFile(truncated, jpeg.subarray(0, jpeg.length >> 1));
    badSamples = [...samples.slice(0, 5), { path: truncated, label: 0 }, ...samples.slice(5)];
  });
  afterAll(async () => removeDir(base));

  it('yields NHWC float32 batches with correct shapes and labels', async () => {
    const loader = createBatchLoader(samples, { batchSize: 4, transform: EVAL });
    const batches = await collect(loader.epoch(0));
    expect(loader.batchesPerEpoch).toBe(3);
    expect(batches.map((b) => b.count)).toEqual([4, 4, 2]);
    expect(batches.map((b) => b.index)).toEqual([0, 1, 2]);
    for (const batch of batches) {
      expect(batch.images).toBeInstanceOf(Float32Array);
      expect(batch.images).toHaveLength(batch.count * SIZE * SIZE * 3);
      expect(batch.labels).toBeInstanceOf(Int32Array);
      expect(batch.labels).toHaveLength(batch.count);
      for (let i = 0; i < batch.count; i++) {
        // The pixels say which class the image is; the label must agree.
        expect(firstPixel(batch, i)).toEqual(COLOURS[batch.labels[i] as number]);
        expect(batch.paths[i]).toContain(`class${batch.labels[i]}`);
      }
    }
    // Eval does not shuffle: the input order.
    expect(batches.flatMap((b) => b.paths)).toEqual(samples.map((s) => s.path));
  });

  it('drops a short last batch when asked', async () => {
    const loader = createBatchLoader(samples, { batchSize: 4, transform: EVAL, dropLast: true });
    expect((await collect(loader.epoch(0))).map((b) => b.count)).toEqual([4, 4]);
  });

  it('shuffles differently each epoch, reproducibly for a seed', async () => {
    const order = async (seed: number, epoch: number): Promise<string[]> => {
      const loader = createBatchLoader(samples, { batchSize: 3, transform: TRAIN, seed, concurrency: 3 });
      return (await collect(loader.epoch(epoch))).flatMap((b) => b.paths);
    };
    const e0 = await order(1, 0);
    const e1 = await order(1, 1);
    expect([...e0].sort()).toEqual(samples.map((s) => s.path).sort());
    expect(e1).not.toEqual(e0);
    expect(await order(1, 0)).toEqual(e0);
    expect(await order(2, 0)).not.toEqual(e0);
  });

  it('augments reproducibly per seed, whatever order decodes finish in', async () => {
    const run = async (concurrency: number): Promise<Float32Array[]> => {
      const loader = createBatchLoader(samples, { batchSize: 5, transform: TRAIN, seed: 9, concurrency });
      return (await collect(loader.epoch(3))).map((b) => b.images);
    };
    expect(await run(1)).toEqual(await run(4));
  });

  it('gives the same batches with worker threads as on its own thread', async () => {
    const run = async (transformThreads: number): Promise<{ batches: Batch[]; threads: number }> => {
      const issues: DatasetIssue[] = [];
      const loader = createBatchLoader(badSamples, { batchSize: 4, transform: TRAIN, seed: 3, transformThreads, concurrency: 3, onIssue: (i) => issues.push(i) });
      try {
        const batches = await collect(loader.epoch(1));
        expect(issues.map((i) => i.reason)).toEqual(['truncated']);
        return { batches, threads: loader.stats().transformThreads };
      } finally {
        await loader.close();
      }
    };
    const threaded = await run(2);
    const local = await run(0);
    expect(threaded.threads).toBe(2);
    expect(local.threads).toBe(0);
    expect(threaded.batches.map((b) => b.paths)).toEqual(local.batches.map((b) => b.paths));
    expect(threaded.batches.map((b) => b.images)).toEqual(local.batches.map((b) => b.images));
  });

  it('fills later batches into memory given back with recycle, with the same values as fresh memory', async () => {
    const fresh = await collect(createBatchLoader(samples, { batchSize: 3, transform: TRAIN, seed: 5 }).epoch(2));
    const loader = createBatchLoader(samples, { batchSize: 3, transform: TRAIN, seed: 5, prefetchBatches: 1 });
    const seen: { images: number[]; buffer: ArrayBufferLike }[] = [];
    for await (const batch of loader.epoch(2)) {
      seen.push({ images: [...batch.images], buffer: batch.images.buffer });
      loader.recycle(batch);
      loader.recycle(batch); // twice is harmless
    }
    expect(seen.map((b) => b.images)).toEqual(fresh.map((b) => [...b.images]));
    expect(loader.stats().reusedBatches).toBeGreaterThan(0);
    // Some batch was filled into the memory of an earlier one.
    expect(new Set(seen.map((b) => b.buffer)).size).toBeLessThan(seen.length);
    // Memory the loader did not allocate is not taken.
    const other = createBatchLoader(samples, { batchSize: 3, transform: EVAL });
    other.recycle({ ...(fresh[0] as Batch), images: new Float32Array(3 * SIZE * SIZE * 3) });
    for await (const batch of other.epoch(0)) void batch;
    expect(other.stats().reusedBatches).toBe(0);
  });

  it('never holds more than the prefetch limit, and stops decoding while the consumer waits', async () => {
    const concurrency = 2;
    const prefetchBatches = 1;
    const batchSize = 2;
    const loader = createBatchLoader(samples, { batchSize, transform: EVAL, prefetchBatches, concurrency });
    let seen = 0;
    for await (const batch of loader.epoch(0)) {
      seen++;
      // A slow consumer: the producer has ample time to run ahead if it were unbounded.
      await new Promise((resolve) => setTimeout(resolve, 40));
      const { decodesStarted, maxQueuedBatches } = loader.stats();
      expect(maxQueuedBatches).toBeLessThanOrEqual(prefetchBatches);
      // Consumed + queued + the one being filled, plus the decodes in flight.
      expect(decodesStarted).toBeLessThanOrEqual((seen + prefetchBatches + 1) * batchSize + concurrency);
      expect(batch.count).toBe(batchSize);
    }
    expect(seen).toBe(5);
    expect(loader.stats().maxQueuedBatches).toBe(1);
  });

  it('stops cleanly when the consumer breaks out early', async () => {
    const loader = createBatchLoader(samples, { batchSize: 2, transform: EVAL, prefetchBatches: 1, concurrency: 1 });
    for await (const batch of loader.epoch(0)) {
      expect(batch.index).toBe(0);
      break;
    }
    expect(loader.stats().decodesStarted).toBeLessThanOrEqual(2 * 3 + 1);
  });

  it('skips a bad file with an issue, once, and keeps going', async () => {
    const issues: DatasetIssue[] = [];
    const loader = createBatchLoader(badSamples, { batchSize: 4, transform: EVAL, onIssue: (i) => issues.push(i) });
    const before = await snapshotTree(base);
    const epoch0 = await collect(loader.epoch(0));
    const epoch1 = await collect(loader.epoch(1));
    expect(epoch0.map((b) => b.count)).toEqual([4, 4, 2]);
    expect(epoch1.map((b) => b.count)).toEqual([4, 4, 2]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: join(base, 'class0', 'truncated.jpg'), reason: 'truncated' });
    expect(loader.stats().skippedFiles).toBe(1);
    for (const batch of epoch0) for (let i = 0; i < batch.count; i++) expect(firstPixel(batch, i)).toEqual(COLOURS[batch.labels[i] as number]);
    expect(await snapshotTree(base)).toEqual(before);
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(() => createBatchLoader(samples, { batchSize: 0, transform: EVAL })).toThrow(RangeError);
  });
});

describe('samplesFromScan', () => {
  const image = (path: string, classIndex: number) => ({ path, classIndex, format: 'png' as const, width: 1, height: 1, bytes: 1, sha256: '' });
  const scan = (classes: string[], images: ReturnType<typeof image>[]) => ({
    root: '/r',
    classes: classes.map((name, index) => ({ name, index, images: 0, unusable: 0 })),
    images,
    issues: [],
    warnings: [],
    hiddenSkipped: 0,
    imbalance: undefined,
  });

  it('uses the scan labels, or maps a test split onto the train class names', () => {
    const test = scan(['bird', 'cat', 'dog'], [image('/b.png', 0), image('/c.png', 1), image('/d.png', 2)]);
    expect(samplesFromScan(test)).toEqual([
      { path: '/b.png', label: 0 },
      { path: '/c.png', label: 1 },
      { path: '/d.png', label: 2 },
    ]);
    // Train has cat, dog, empty: test's cat is 0, dog is 1, bird is not a train class.
    expect(samplesFromScan(test, ['cat', 'dog', 'empty'])).toEqual([
      { path: '/c.png', label: 0 },
      { path: '/d.png', label: 1 },
    ]);
  });
});
