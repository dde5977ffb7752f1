/**
 * Decode benchmark: images per second decoded and transformed to 224 × 224 normalized float32 by our
 * loader, next to torchvision's ImageFolder + DataLoader on the same files in the same run, with the
 * same number of workers on both sides (our transform worker threads; DataLoader's num_workers).
 *
 *   npx tsx bench/decode.ts [--images 300] [--workers 2] [--batch-size 32] [--epochs 2] [--keep]
 *
 * The images are generated in a temp folder: 500 × 375 JPEGs (a typical photo-dataset size) made of
 * gradients and noise, in 3 classes. PyTorch runs through Debian's /usr/bin/python3
 * (python3-torch, python3-torchvision). Also reports how far our eval preprocessing of one image is
 * from torchvision's.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { IMAGENET_NORMALIZATION } from '../src-main/common/normalization';
import { createBatchLoader, type LabeledImage, type LoaderTransform } from '../src-main/node/dataset/batchLoader';
import { loadEvalImage } from '../src-main/node/dataset/transforms';

const PYTHON = '/usr/bin/python3';
const SIZE = 224;

interface Throughput {
  images: number;
  seconds: number;
  imagesPerSecond: number;
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

async function measureOurs(samples: LabeledImage[], transform: LoaderTransform, threads: number, batchSize: number, epochs: number): Promise<Throughput> {
  // Each worker thread reads, decodes and transforms whole images, like a DataLoader worker process;
  // a window of 2 images per thread keeps them busy while the loader assembles batches.
  const loader = createBatchLoader(samples, { batchSize, transform, transformThreads: threads, concurrency: Math.max(2, 2 * threads), prefetchBatches: 2 });
  try {
    for await (const _ of loader.epoch(0)) {
      // warm-up epoch (starts the threads), as on the torchvision side
    }
    if (loader.stats().transformThreads !== threads) throw new Error(`asked for ${threads} transform threads, got ${loader.stats().transformThreads}`);
    let images = 0;
    const started = performance.now();
    for (let e = 1; e <= epochs; e++) for await (const batch of loader.epoch(e)) images += batch.count;
    const seconds = (performance.now() - started) / 1000;
    return { images, seconds, imagesPerSecond: images / seconds };
  } finally {
    await loader.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '300' },
      workers: { type: 'string', default: '2' },
      'batch-size': { type: 'string', default: '32' },
      epochs: { type: 'string', default: '2' },
      keep: { type: 'boolean', default: false },
    },
  });
  const workers = Number(values.workers);
  const batchSize = Number(values['batch-size']);
  const epochs = Number(values.epochs);
  const root = await mkdtemp(join(tmpdir(), 'rw-bench-decode-'));
  try {
    const samples = await generate(root, Number(values.images));
    const eval_: LoaderTransform = { kind: 'eval', options: { size: SIZE, crop: 0.875, normalization: IMAGENET_NORMALIZATION } };
    const train: LoaderTransform = { kind: 'train', options: { size: SIZE, normalization: IMAGENET_NORMALIZATION } };
    const ours = {
      eval: await measureOurs(samples, eval_, workers, batchSize, epochs),
      train: await measureOurs(samples, train, workers, batchSize, epochs),
      evalOneThread: await measureOurs(samples, eval_, 0, batchSize, epochs),
      trainOneThread: await measureOurs(samples, train, 0, batchSize, epochs),
    };
    const dump = join(root, 'first.f32');
    const script = fileURLToPath(new URL('./decode_torch.py', import.meta.url));
    const { stdout } = await promisify(execFile)(
      PYTHON,
      [script, root, '--workers', String(workers), '--batch-size', String(batchSize), '--epochs', String(epochs), '--dump', dump],
      { maxBuffer: 1 << 20 },
    );
    const torch = JSON.parse(stdout) as { torch: string; torchvision: string; eval: Throughput; train: Throughput; dumpedPath: string };

    // Preprocessing agreement on one image: torchvision's CHW against our HWC.
    const theirs = new Float32Array(new Uint8Array(await readFile(dump)).buffer);
    const mine = await loadEvalImage(torch.dumpedPath, { size: SIZE, crop: 0.875, normalization: IMAGENET_NORMALIZATION });
    let maxDiff = 0;
    let sumDiff = 0;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < SIZE * SIZE; p++) {
        const d = Math.abs((theirs[c * SIZE * SIZE + p] as number) - (mine[p * 3 + c] as number));
        maxDiff = Math.max(maxDiff, d);
        sumDiff += d;
      }
    }
    const fmt = (t: Throughput): string => `${t.imagesPerSecond.toFixed(1)} images/s (${t.images} in ${t.seconds.toFixed(2)} s)`;
    console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}; ${samples.length} JPEGs 500×375; ${workers} workers; batch ${batchSize}; ${epochs} epochs after a warm-up`);
    console.log(`ours, ${workers} worker threads   eval ${fmt(ours.eval)}   train ${fmt(ours.train)}`);
    console.log(`ours, loader thread only  eval ${fmt(ours.evalOneThread)}   train ${fmt(ours.trainOneThread)}`);
    console.log(`torchvision ${torch.torchvision}      eval ${fmt(torch.eval)}   train ${fmt(torch.train)}`);
    console.log(`eval preprocessing vs torchvision on one image: max |diff| ${maxDiff.toFixed(4)}, mean |diff| ${(sumDiff / (3 * SIZE * SIZE)).toFixed(5)} (normalized units)`);
  } finally {
    if (!values.keep) await rm(root, { recursive: true, force: true });
  }
}

await main();
