/**
 * Streams batches of normalized NHWC float32 images and their labels, decoding in parallel ahead of
 * the consumer. Memory is bounded by the prefetch queue, the batch being filled and the images in
 * flight; it does not grow with the number of images. The loader is backend-free: batches are plain
 * typed arrays, and turning them into tensors is the trainer's job.
 *
 * Reproducible: the order of epoch e is a shuffle seeded by (seed, e), and each image's augmentation
 * by (seed, e, image index), so results do not depend on which decode finishes first.
 */
import type { DatasetIssue } from './issues';
import type { ImageFolderScan } from './scanImageFolder';
import { BoundedQueue } from './boundedQueue';
import { DEFAULT_MAX_FILE_BYTES } from './checkImageFile';
import type { DecodeOptions } from './decode';
import { createRng, deriveSeed, shuffledIndices } from './random';
import { defaultConcurrency } from './parallelism';
import { runTransformJob, type LoaderTransform, type TransformJob, type TransformResult } from './transformJob';
import { startTransformPool, type TransformPool } from './transformPool';

export type { LoaderTransform } from './transformJob';

export interface LabeledImage {
  path: string;
  /** Class index. */
  label: number;
}

export interface BatchLoaderOptions {
  /** Images per batch. */
  batchSize: number;
  transform: LoaderTransform;
  /** Reshuffle the order every epoch. Default: true for the train transform, false for eval. */
  shuffle?: boolean;
  /** Seed of shuffling and augmentation. Default 0. */
  seed?: number;
  /** Finished batches held ahead of the consumer. Default 2. */
  prefetchBatches?: number;
  /** Images decoded at once. Default: the number of CPUs, at least 4. */
  concurrency?: number;
  /**
   * Worker threads that read, decode and transform images, so the JavaScript resize runs on several
   * cores. 0 does it on the loader's thread (decoding still runs in sharp's thread pool). When the
   * workers cannot start (a bundle without the worker file), the loader falls back to 0. Default 0.
   */
  transformThreads?: number;
  /** Leave out a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Pixel limit per image. Default: see DEFAULT_MAX_PIXELS. */
  maxPixels?: DecodeOptions['maxPixels'];
  /** Byte limit per file. Default: see DEFAULT_MAX_FILE_BYTES. */
  maxFileBytes?: number;
  /** Told once about each file that cannot be used; the file is skipped in this and later epochs. */
  onIssue?: (issue: DatasetIssue) => void;
}

export interface Batch {
  /** NHWC: count × size × size × 3 normalized values. */
  images: Float32Array;
  /** Class index per image. */
  labels: Int32Array;
  /** Images in the batch; the last batch of an epoch may hold fewer than batchSize. */
  count: number;
  /** Image side in pixels. */
  size: number;
  paths: string[];
  epoch: number;
  /** Position of the batch in its epoch. */
  index: number;
}

export interface LoaderStats {
  /** Most finished batches ever waiting for the consumer (never above prefetchBatches). */
  maxQueuedBatches: number;
  /** Decodes started since the loader was created. */
  decodesStarted: number;
  /** Files skipped as unusable. */
  skippedFiles: number;
  /** Worker threads in use (0 before the first epoch, or when they could not start). */
  transformThreads: number;
  /** Batches filled into memory given back with {@link BatchLoader.recycle} rather than new memory. */
  reusedBatches: number;
}

export interface BatchLoader {
  /** The batches of epoch `epoch` (0-based); breaking out of the loop stops the decoding. */
  epoch(epoch: number): AsyncGenerator<Batch, void, undefined>;
  /** Batches per epoch if every file is usable. */
  readonly batchesPerEpoch: number;
  stats(): LoaderStats;
  /**
   * Gives a batch's image memory back for a later batch, once the consumer is done with it (e.g. it
   * has been copied into a tensor): the batch's `images` must not be read afterwards. Optional, but
   * it saves touching fresh memory for every batch, which costs about as much as decoding on some
   * machines. Arrays this loader did not allocate are ignored.
   */
  recycle(batch: Batch): void;
  /** Stops the worker threads, if any. The loader starts them again if used afterwards. */
  close(): Promise<void>;
}

/**
 * The usable images of a scan as loader samples. Given `classNames` (the train split's, in index
 * order), labels follow those names, so a test split with an extra or missing class still gets the
 * train split's indices; its images of classes not in `classNames` are left out.
 */
export function samplesFromScan(scan: ImageFolderScan, classNames?: readonly string[]): LabeledImage[] {
  const names = scan.classes.map((c) => c.name);
  if (!classNames) return scan.images.map((image) => ({ path: image.path, label: image.classIndex }));
  const labelOf = new Map(classNames.map((name, index) => [name, index]));
  const samples: LabeledImage[] = [];
  for (const image of scan.images) {
    const label = labelOf.get(names[image.classIndex] as string);
    if (label !== undefined) samples.push({ path: image.path, label });
  }
  return samples;
}

/** Where the decodes of an epoch write their values: one image-sized slot per decode in flight. */
interface Staging {
  /** The shared memory under `values` when worker threads write into it. */
  shared: SharedArrayBuffer | undefined;
  values: Float32Array;
}

export function createBatchLoader(samples: readonly LabeledImage[], options: BatchLoaderOptions): BatchLoader {
  const { batchSize, transform } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const size = transform.options.size;
  const pixelsPerImage = size * size * 3;
  const shuffle = options.shuffle ?? transform.kind === 'train';
  const seed = options.seed ?? 0;
  const prefetch = options.prefetchBatches ?? 2;
  const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
  const decodeOptions: DecodeOptions = options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {};
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const unusable = new Set<number>();
  let decodesStarted = 0;
  let maxQueuedBatches = 0;
  const openQueues = new Set<BoundedQueue<Batch>>();

  let pool: Promise<TransformPool | undefined> | undefined;
  let poolThreads = 0;
  const transformThreads = options.transformThreads ?? 0;
  const getPool = (): Promise<TransformPool | undefined> => {
    if (transformThreads <= 0) return Promise.resolve(undefined);
    pool ??= startTransformPool(transformThreads).then((p) => {
      poolThreads = p?.threads ?? 0;
      return p;
    });
    return pool;
  };

  /**
   * Decode, transform and normalize one image into float32 slot `slot` of `staging`; false (after
   * reporting) when the file cannot be used.
   */
  const load = async (sampleIndex: number, epoch: number, workers: TransformPool | undefined, staging: Staging, slot: number): Promise<boolean> => {
    if (unusable.has(sampleIndex)) return false;
    const { path } = samples[sampleIndex] as LabeledImage;
    decodesStarted++;
    const job: TransformJob = { path, transform, seed, epoch, sampleIndex, maxFileBytes, ...decodeOptions };
    const offset = slot * pixelsPerImage;
    const result: TransformResult =
      workers && staging.shared
        ? await workers.run(job, { buffer: staging.shared, offset }).catch((error: unknown) => ({
            ok: false as const,
            issue: { path, reason: 'corrupt' as const, detail: `the worker failed: ${error instanceof Error ? error.message : String(error)}` },
          }))
        : await runTransformJob(job, staging.values, offset);
    if (!result.ok) {
      unusable.add(sampleIndex);
      options.onIssue?.(result.issue);
      return false;
    }
    return true;
  };

  /** Image memory given back by the consumer, and every batch buffer this loader allocated. */
  const recycled: Float32Array[] = [];
  const ownBuffers = new WeakSet<ArrayBufferLike>();
  let reusedBatches = 0;
  const batchImages = (): Float32Array => {
    const reused = recycled.pop();
    if (reused) {
      reusedBatches++;
      return reused;
    }
    const images = new Float32Array(batchSize * pixelsPerImage);
    ownBuffers.add(images.buffer);
    return images;
  };

  const newBatch = (epoch: number, index: number): Batch => ({
    images: batchImages(),
    labels: new Int32Array(batchSize),
    count: 0,
    size,
    paths: [],
    epoch,
    index,
  });

  /**
   * Fill batches in epoch order with a window of `concurrency` decodes in flight. Each decode writes
   * into a slot of a staging area (shared memory when worker threads do the work), copied into the
   * batch in order; slots are reused, so nothing is allocated per image.
   */
  const produce = async (epoch: number, queue: BoundedQueue<Batch>, stopped: () => boolean): Promise<void> => {
    const workers = await getPool();
    const order = shuffle ? shuffledIndices(samples.length, createRng(deriveSeed(seed, epoch))) : Uint32Array.from(samples.keys());
    const stagingBytes = concurrency * pixelsPerImage * Float32Array.BYTES_PER_ELEMENT;
    const shared = workers ? new SharedArrayBuffer(stagingBytes) : undefined;
    const staging: Staging = { shared, values: new Float32Array(shared ?? new ArrayBuffer(stagingBytes)) };
    const freeSlots = Array.from({ length: concurrency }, (_, i) => concurrency - 1 - i);
    const window: { sampleIndex: number; slot: number; loaded: Promise<boolean> }[] = [];
    let position = 0;
    const startNext = (): void => {
      if (position >= order.length) return;
      const sampleIndex = order[position++] as number;
      const slot = freeSlots.pop() as number;
      window.push({ sampleIndex, slot, loaded: load(sampleIndex, epoch, workers, staging, slot) });
    };
    while (window.length < concurrency && position < order.length) startNext();
    let batch = newBatch(epoch, 0);
    while (window.length > 0) {
      const { sampleIndex, slot, loaded } = window.shift() as (typeof window)[number];
      const ok = await loaded;
      if (stopped()) {
        // Let decodes already started finish so nothing runs after the epoch is closed.
        await Promise.all(window.map((w) => w.loaded));
        return;
      }
      if (ok) {
        const from = slot * pixelsPerImage;
        batch.images.set(staging.values.subarray(from, from + pixelsPerImage), batch.count * pixelsPerImage);
      }
      freeSlots.push(slot);
      startNext();
      if (!ok) continue;
      const sample = samples[sampleIndex] as LabeledImage;
      batch.labels[batch.count] = sample.label;
      batch.paths.push(sample.path);
      batch.count++;
      if (batch.count === batchSize) {
        if (!(await queue.put(batch))) {
          await Promise.all(window.map((w) => w.loaded));
          return;
        }
        batch = newBatch(epoch, batch.index + 1);
      }
    }
    if (batch.count > 0 && !options.dropLast) {
      await queue.put({ ...batch, images: batch.images.subarray(0, batch.count * pixelsPerImage), labels: batch.labels.subarray(0, batch.count) });
    }
  };

  async function* epochBatches(epoch: number): AsyncGenerator<Batch, void, undefined> {
    const queue = new BoundedQueue<Batch>(prefetch);
    openQueues.add(queue);
    let stop = false;
    const producer = produce(epoch, queue, () => stop).then(
      () => queue.close(),
      (error: unknown) => queue.fail(error),
    );
    try {
      for (;;) {
        const batch = await queue.take();
        if (batch === undefined) break;
        yield batch;
      }
    } finally {
      stop = true;
      queue.close();
      await producer;
      maxQueuedBatches = Math.max(maxQueuedBatches, queue.highWater);
      openQueues.delete(queue);
    }
  }

  return {
    epoch: epochBatches,
    batchesPerEpoch: options.dropLast ? Math.floor(samples.length / batchSize) : Math.ceil(samples.length / batchSize),
    stats: () => ({
      maxQueuedBatches: Math.max(maxQueuedBatches, ...[...openQueues].map((q) => q.highWater)),
      decodesStarted,
      skippedFiles: unusable.size,
      transformThreads: poolThreads,
      reusedBatches,
    }),
    recycle(batch) {
      const { buffer } = batch.images;
      // Enough for the batches in flight; more would only hold memory.
      if (!ownBuffers.has(buffer) || recycled.length >= prefetch + 2 || recycled.some((r) => r.buffer === buffer)) return;
      recycled.push(new Float32Array(buffer, 0, batchSize * pixelsPerImage));
    },
    async close() {
      const current = pool;
      pool = undefined;
      poolThreads = 0;
      await (await current)?.close();
    },
  };
}
