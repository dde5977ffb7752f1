/**
 * Decode benchmark: images per second decoded and transformed to 224 × 224 normalized float32 by our
 * loader, next to torchvision's ImageFolder + DataLoader on the same files in the same run, with the
 * same number of workers on both sides (our transform worker threads; DataLoader's num_workers).
 *
 *   npx tsx bench/decode.ts [--images 300] [--workers 2] [--batch-size 32] [--epochs 2] [--rounds 3] [--no-recycle] [--keep]
 *
 * The images are generated in a temp folder: 500 × 375 JPEGs (a typical photo-dataset size) made of
 * gradients and noise, in 3 classes. PyTorch runs through Debian's /usr/bin/python3
 * (python3-torch, python3-torchvision).
 *
 * The two sides take turns (ours eval, torchvision eval, ours train, torchvision train) for --rounds
 * rounds, and each row reports the median round, so load from other jobs on a shared machine falls on
 * both sides alike; the load average is printed for every measurement. Besides wall-clock images/s,
 * each side reports CPU milliseconds per image (all threads; for torchvision the main process and its
 * worker processes), which load inflates less. Our loader is also measured on its own thread once.
 * Our consumer gives each batch's memory back to the loader (`loader.recycle`), as a consumer that
 * copies batches into tensors can; --no-recycle measures fresh memory for every batch instead.
 * Finally the first eval batch of both is compared value by value: the outputs must be identical.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { IMAGENET_NORMALIZATION } from '../src-main/common/normalization';
import { createBatchLoader, type LabeledImage, type LoaderTransform } from '../src-main/node/dataset/batchLoader';
import { resamplerInUse } from '../src-main/node/dataset/transforms';

const PYTHON = '/usr/bin/python3';
const SIZE = 224;

interface Throughput {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
  /** 1-minute load average when the measurement started. */
  load: number;
}

interface TorchReply {
  torch: string;
  torchvision: string;
  measured: Omit<Throughput, 'load'>;
  dumpedImages?: number;
}

/** A photo-like 500 × 375 image: smooth gradients with blobs and grain, so JPEG sizes are realistic. */
function photoLike(seed: number, width = 500, height = 375): Buffer {
  const out = Buffer.alloc(width * height * 3);
  let state = seed * 2654435761;
  const rand = (): number => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    return ((state >>> 0) % 1000) / 1000;
  };
  const cx = rand() * width;
  const cy = rand() * height;
  const tint = [rand(), rand(), rand()];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy) / width;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const base = 255 * (0.5 + 0.5 * Math.sin(d * 12 + c + (tint[c] as number) * 6)) * (0.6 + 0.4 * (x / width));
        out[i + c] = Math.max(0, Math.min(255, base + (rand() - 0.5) * 40));
      }
    }
  }
  return out;
}

async function generate(root: string, count: number): Promise<LabeledImage[]> {
  const samples: LabeledImage[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    const dir = join(root, `class${label}`);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `img${String(i).padStart(4, '0')}.jpg`);
    await writeFile(path, await sharp(photoLike(i + 1), { raw: { width: 500, height: 375, channels: 3 } }).jpeg({ quality: 85 }).toBuffer());
    samples.push({ path, label });
  }
  // The order ImageFolder uses: by class, then by file name.
  return samples.sort((a, b) => a.label - b.label || (a.path < b.path ? -1 : 1));
}

async function measureOurs(samples: LabeledImage[], transform: LoaderTransform, threads: number, batchSize: number, epochs: number, recycle: boolean): Promise<Throughput> {
  // Each worker thread reads, decodes and transforms whole images, like a DataLoader worker process;
  // a window of 2 images per thread (4 on the loader thread alone, for sharp's thread pool) keeps them busy.
  const loader = createBatchLoader(samples, { batchSize, transform, transformThreads: threads, concurrency: Math.max(4, 2 * threads), prefetchBatches: 2 });
  try {
    for await (const _ of loader.epoch(0)) {
      // warm-up epoch (starts the threads), as on the torchvision side
    }
    if (loader.stats().transformThreads !== threads) throw new Error(`asked for ${threads} transform threads, got ${loader.stats().transformThreads}`);
    let images = 0;
    const load = loadavg()[0] as number;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let e = 1; e <= epochs; e++) {
      for await (const batch of loader.epoch(e)) {
        images += batch.count;
        if (recycle) loader.recycle(batch);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { images, seconds, imagesPerSecond: images / seconds, cpuMsPerImage: (cpu.user + cpu.system) / 1000 / images, load };
  } finally {
    await loader.close();
  }
}

async function measureTorch(root: string, kind: 'eval' | 'train', workers: number, batchSize: number, epochs: number, dump?: string): Promise<{ reply: TorchReply; throughput: Throughput }> {
  const script = fileURLToPath(new URL('./decode_torch.py', import.meta.url));
  const load = loadavg()[0] as number;
  const args = [script, root, '--transform', kind, '--workers', String(workers), '--batch-size', String(batchSize), '--epochs', String(epochs)];
  const { stdout } = await promisify(execFile)(PYTHON, dump ? [...args, '--dump', dump] : args, { maxBuffer: 1 << 20 });
  const reply = JSON.parse(stdout) as TorchReply;
  return { reply, throughput: { ...reply.measured, load } };
}

/** The first eval batch of our loader (NHWC) against torchvision's (NCHW): values whose bits differ. */
async function compareFirstEvalBatch(samples: LabeledImage[], transform: LoaderTransform, batchSize: number, dump: string): Promise<{ images: number; differing: number; maxDiff: number }> {
  const theirs = new Float32Array(new Uint8Array(await readFile(dump)).buffer);
  const loader = createBatchLoader(samples, { batchSize, transform, transformThreads: 0 });
  let differing = 0;
  let maxDiff = 0;
  let images = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      images = batch.count;
      if (theirs.length !== batch.count * 3 * SIZE * SIZE) throw new Error(`torchvision dumped ${theirs.length} values, our first batch has ${batch.images.length}`);
      const plane = SIZE * SIZE;
      for (let n = 0; n < batch.count; n++) {
        for (let c = 0; c < 3; c++) {
          for (let p = 0; p < plane; p++) {
            const t = theirs[(n * 3 + c) * plane + p] as number;
            const o = batch.images[(n * plane + p) * 3 + c] as number;
            if (!Object.is(t, o)) differing++;
            maxDiff = Math.max(maxDiff, Math.abs(t - o));
          }
        }
      }
      break;
    }
  } finally {
    await loader.close();
  }
  return { images, differing, maxDiff };
}

const median = (runs: Throughput[]): Throughput => {
  const sorted = [...runs].sort((a, b) => a.imagesPerSecond - b.imagesPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Throughput;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '300' },
      workers: { type: 'string', default: '2' },
      'batch-size': { type: 'string', default: '32' },
      epochs: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      'no-recycle': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const workers = Number(values.workers);
  const batchSize = Number(values['batch-size']);
  const epochs = Number(values.epochs);
  const rounds = Number(values.rounds);
  const recycle = !values['no-recycle'];
  const root = await mkdtemp(join(tmpdir(), 'rw-bench-decode-'));
  try {
    const samples = await generate(root, Number(values.images));
    const transforms = {
      eval: { kind: 'eval', options: { size: SIZE, crop: 0.875, normalization: IMAGENET_NORMALIZATION } },
      train: { kind: 'train', options: { size: SIZE, normalization: IMAGENET_NORMALIZATION } },
    } satisfies Record<string, LoaderTransform>;
    const runs = { oursEval: [] as Throughput[], torchEval: [] as Throughput[], oursTrain: [] as Throughput[], torchTrain: [] as Throughput[] };
    const dump = join(root, 'first-batch.f32');
    let versions = '';
    for (let round = 0; round < rounds; round++) {
      runs.oursEval.push(await measureOurs(samples, transforms.eval, workers, batchSize, epochs, recycle));
      const torchEval = await measureTorch(root, 'eval', workers, batchSize, epochs, round === 0 ? dump : undefined);
      runs.torchEval.push(torchEval.throughput);
      versions = `torch ${torchEval.reply.torch}, torchvision ${torchEval.reply.torchvision}`;
      runs.oursTrain.push(await measureOurs(samples, transforms.train, workers, batchSize, epochs, recycle));
      runs.torchTrain.push((await measureTorch(root, 'train', workers, batchSize, epochs)).throughput);
    }
    const oneThread = { eval: await measureOurs(samples, transforms.eval, 0, batchSize, epochs, recycle), train: await measureOurs(samples, transforms.train, 0, batchSize, epochs, recycle) };
    const identical = await compareFirstEvalBatch(samples, transforms.eval, batchSize, dump);

    const fmt = (t: Throughput): string =>
      `${t.imagesPerSecond.toFixed(1).padStart(6)} images/s, ${t.cpuMsPerImage.toFixed(2)} CPU ms/image (${t.images} in ${t.seconds.toFixed(2)} s, load ${t.load.toFixed(2)})`;
    const resampler = resamplerInUse();
    console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}; node ${process.version}; ${versions}`);
    console.log(`${samples.length} JPEGs 500×375; ${workers} workers; batch ${batchSize}; ${epochs} epochs after a warm-up; median of ${rounds} alternating rounds`);
    console.log(`our resampler: ${resampler.kind === 'wasm-simd' ? 'WebAssembly SIMD' : `JavaScript (${resampler.reason})`}; batch memory ${recycle ? 'recycled' : 'fresh for every batch'}`);
    console.log(`eval   ours (${workers} worker threads)   ${fmt(median(runs.oursEval))}`);
    console.log(`eval   torchvision (${workers} workers)  ${fmt(median(runs.torchEval))}`);
    console.log(`train  ours (${workers} worker threads)   ${fmt(median(runs.oursTrain))}`);
    console.log(`train  torchvision (${workers} workers)  ${fmt(median(runs.torchTrain))}`);
    console.log(`eval   ours, loader thread only   ${fmt(oneThread.eval)}`);
    console.log(`train  ours, loader thread only   ${fmt(oneThread.train)}`);
    console.log(`every round (images/s): ours eval ${runs.oursEval.map((t) => t.imagesPerSecond.toFixed(0)).join(' ')}; torchvision eval ${runs.torchEval.map((t) => t.imagesPerSecond.toFixed(0)).join(' ')}; ours train ${runs.oursTrain.map((t) => t.imagesPerSecond.toFixed(0)).join(' ')}; torchvision train ${runs.torchTrain.map((t) => t.imagesPerSecond.toFixed(0)).join(' ')}`);
    const verdict = identical.differing === 0 ? 'identical' : `NOT identical: ${identical.differing} values differ (max |diff| ${identical.maxDiff})`;
    console.log(`output: first eval batch (${identical.images} images × 3 × ${SIZE} × ${SIZE} float32) vs torchvision: ${verdict}`);
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    if (!values.keep) await rm(root, { recursive: true, force: true });
  }
}

await main();
