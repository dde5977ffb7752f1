/**
 * Fine-tuning throughput: training images per second of each ResNet depth on each tfjs backend that
 * has convolution gradients, through the trainer's own fine-tune loop (frozen BatchNorm statistics,
 * backward to the unfrozen stages and the head, Adam), next to PyTorch (2 threads) in the same run.
 *
 *   npx tsx bench/finetune.ts [--depths 18,34,50,101,152] [--size 224] [--batch 8] [--steps 2]
 *                             [--unfreeze layer4] [--max-step-seconds 240]
 *
 * Synthetic batches (random pixels) isolate the network from decoding. The pure-JS cpu backend is
 * slow: once a depth's step exceeds --max-step-seconds, deeper ones are skipped and the table says so.
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { isResNetDepth, type ResNetDepth } from '../src-main/common/resnetSpec';
import type { UnfreezeDepth } from '../src-main/common/runConfig';
import type { Batch, BatchLoader } from '../src-main/node/dataset/batchLoader';
import { initBackend } from '../src-main/node/engine/backend';
import { buildResNet } from '../src-main/node/engine/resnet';
import { fineTune } from '../src-main/node/train/fineTuner';

const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '18,34,50,101,152' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '2' },
    unfreeze: { type: 'string', default: 'layer4' },
    'max-step-seconds': { type: 'string', default: '240' },
  },
});
const depths = values.depths.split(',').map(Number).filter(isResNetDepth);
const size = Number(values.size);
const batchSize = Number(values.batch);
const steps = Number(values.steps);
const unfreeze = values.unfreeze as UnfreezeDepth;
const maxStepSeconds = Number(values['max-step-seconds']);

/** A loader of `count` synthetic batches per epoch; the trainer cannot tell it from a real one. */
function syntheticLoader(count: number, classes: number): BatchLoader {
  const images = Float32Array.from({ length: batchSize * size * size * 3 }, (_, i) => Math.sin(i * 0.37));
  const labels = Int32Array.from({ length: batchSize }, (_, i) => i % classes);
  return {
    batchesPerEpoch: count,
    async *epoch(epoch: number): AsyncGenerator<Batch, void, undefined> {
      for (let index = 0; index < count; index++) {
        yield { images, labels, count: batchSize, size, paths: Array.from(labels, (_, i) => `synthetic-${i}`), epoch, index };
      }
    },
    stats: () => ({ maxQueuedBatches: 0, decodesStarted: 0, skippedFiles: 0, transformThreads: 0 }),
    close: async () => {},
  } as BatchLoader;
}

async function measure(depth: ResNetDepth): Promise<number> {
  const model = buildResNet(depth, 10);
  const stepTimes: number[] = [];
  let last = performance.now();
  try {
    await fineTune(model, syntheticLoader(steps + 1, 10), syntheticLoader(0, 10), {
      numClasses: 10,
      epochs: 1,
      lr: 1e-4,
      backboneLrScale: 1,
      schedule: 'constant',
      optimizer: { name: 'adam' },
      unfreeze,
      onBatch: () => {
        const now = performance.now();
        stepTimes.push(now - last);
        last = now;
      },
    });
  } finally {
    model.dispose();
  }
  // The first step includes warm-up (kernel set-up, optimizer slots).
  const timed = stepTimes.slice(1);
  return batchSize / (timed.reduce((a, b) => a + b, 0) / timed.length / 1000);
}

async function torchThroughput(): Promise<Map<number, number>> {
  const { stdout } = await promisify(execFile)(
    '/usr/bin/python3',
    [new URL('./finetune_torch.py', import.meta.url).pathname, '--depths', depths.join(','), '--size', String(size), '--batch', String(batchSize), '--steps', String(steps), '--unfreeze', unfreeze],
    { maxBuffer: 1 << 20 },
  );
  const out = new Map<number, number>();
  for (const line of stdout.trim().split('\n')) {
    const row = JSON.parse(line) as { depth: number; imagesPerSecond: number };
    out.set(row.depth, row.imagesPerSecond);
  }
  return out;
}

const loadBefore = loadavg()[0] ?? 0;
const info = await initBackend({ requireConvGradients: true });
const ours = new Map<number, number | string>();
for (const depth of depths) {
  const previous = [...ours.values()].at(-1);
  if (typeof previous === 'string' || (typeof previous === 'number' && batchSize / previous > maxStepSeconds)) {
    ours.set(depth, `skipped: a shallower depth already took over ${maxStepSeconds} s per step`);
    continue;
  }
  ours.set(depth, await measure(depth));
  process.stderr.write(`resnet${depth} on ${info.backend}: ${String(ours.get(depth))} images/s\n`);
}
const torch = await torchThroughput();
console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; ${new Date().toISOString().slice(0, 10)}; load average ${loadBefore.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`);
console.log(`Fine-tune (unfreeze ${unfreeze}) at ${size} px, batch ${batchSize}, ${steps} timed steps after one warm-up; images per second.\n`);
console.log(`| depth | workbench (${info.backend}) | PyTorch 2 threads | ratio |`);
console.log('|---|---|---|---|');
for (const depth of depths) {
  const o = ours.get(depth);
  const t = torch.get(depth);
  const cell = typeof o === 'number' ? o.toFixed(3) : (o ?? '');
  const ratio = typeof o === 'number' && t ? `${(t / o).toFixed(0)}× slower` : '';
  console.log(`| ${depth} | ${cell} | ${t?.toFixed(2) ?? ''} | ${ratio} |`);
}
void tf;
