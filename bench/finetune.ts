/**
 * Fine-tuning throughput: training images per second of each ResNet depth through the trainer's own
 * fine-tune loop (frozen BatchNorm statistics, backward to the unfrozen stages and the head, Adam),
 * on each path the engine can take, next to PyTorch (2 threads) in the same run:
 *
 *   cpu         the pure-JS cpu backend, whole network under the gradient tape (the path before wasm
 *               could train);
 *   wasm        the wasm backend with our convolution gradients (engine/wasmKernels.ts), whole network
 *               under the tape;
 *   wasm-split  wasm, the frozen prefix run forward-only on tfjs wasm, only the unfrozen stages taped;
 *   onnx-split  the frozen prefix on ONNX Runtime (CPU, intra-op threads = physical cores), the
 *               unfrozen stages on wasm: what a fine-tune run does by default.
 *
 *   npx tsx bench/finetune.ts [--depths 18,34,50,101,152] [--size 224] [--batch 8] [--steps 2]
 *                             [--unfreeze layer4] [--paths cpu,wasm,wasm-split,onnx-split]
 *                             [--cpu-steps 1] [--max-step-seconds 240]
 *
 * Synthetic batches (random pixels) isolate the network from decoding. A path whose step exceeds
 * --max-step-seconds skips deeper depths and the table says so. Run it on an idle machine.
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { isResNetDepth, type ResNetDepth } from '../src-main/common/resnetSpec';
import type { UnfreezeDepth } from '../src-main/common/runConfig';
import type { Batch, BatchLoader } from '../src-main/node/dataset/batchLoader';
import { initBackend } from '../src-main/node/engine/backend';
import { describeEngine } from '../src-main/node/engine/frozenNetwork';
import { buildResNet } from '../src-main/node/engine/resnet';
import { fineTune } from '../src-main/node/train/fineTuner';
import { fineTuneNetwork, frozenEnginePrefix } from '../src-main/node/train/splitNetwork';
import { extractStateDict } from '../src-main/node/weights/torchvisionWeights';

const PATHS = ['cpu', 'wasm', 'wasm-split', 'onnx-split'] as const;
type PathName = (typeof PATHS)[number];

const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '18,34,50,101,152' },
    size: { type: 'string', default: '224' },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '2' },
    'cpu-steps': { type: 'string', default: '1' },
    unfreeze: { type: 'string', default: 'layer4' },
    paths: { type: 'string', default: PATHS.join(',') },
    'max-step-seconds': { type: 'string', default: '240' },
  },
});
const depths = values.depths.split(',').map(Number).filter(isResNetDepth);
const size = Number(values.size);
const batchSize = Number(values.batch);
const steps = Number(values.steps);
const cpuSteps = Number(values['cpu-steps']);
const unfreeze = values.unfreeze as UnfreezeDepth;
const paths = values.paths.split(',').filter((p): p is PathName => (PATHS as readonly string[]).includes(p));
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

/** What each path ran on, for the table's notes. */
const engines = new Map<PathName, string>();

async function measure(depth: ResNetDepth, path: PathName): Promise<number> {
  const info = await initBackend({ candidates: [path === 'cpu' ? 'cpu' : 'wasm'], requireConvGradients: true });
  const model = buildResNet(depth, 10);
  const network = await fineTuneNetwork(model, depth, unfreeze, {
    split: path.endsWith('split'),
    ...(path === 'onnx-split' ? { prefix: frozenEnginePrefix(extractStateDict(model, depth), depth, size, { engine: 'onnxruntime', provider: 'cpu' }) } : {}),
  });
  engines.set(path, `${info.backend}${network.prefix ? `; prefix on ${describeEngine(network.prefix.used)}` : ''}`);
  const timedSteps = path === 'cpu' ? cpuSteps : steps;
  const stepTimes: number[] = [];
  let last = performance.now();
  try {
    await fineTune(network, syntheticLoader(timedSteps + 1, 10), syntheticLoader(0, 10), {
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
    await network.dispose();
    model.dispose();
  }
  // The first step includes warm-up (kernel set-up, optimizer slots, the ONNX session's first run).
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
const ours = new Map<PathName, Map<number, number | string>>();
for (const path of paths) {
  const row = new Map<number, number | string>();
  ours.set(path, row);
  for (const depth of depths) {
    const previous = [...row.values()].at(-1);
    if (typeof previous === 'string' || (typeof previous === 'number' && batchSize / previous > maxStepSeconds)) {
      row.set(depth, `skipped (a shallower depth took over ${maxStepSeconds} s per step)`);
      continue;
    }
    row.set(depth, await measure(depth, path));
    process.stderr.write(`resnet${depth} ${path}: ${String(row.get(depth))} images/s (load ${(loadavg()[0] ?? 0).toFixed(1)})\n`);
  }
}
const torch = await torchThroughput();
console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; ${new Date().toISOString().slice(0, 10)}; load average ${loadBefore.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`);
console.log(`Fine-tune (unfreeze ${unfreeze}) at ${size} px, batch ${batchSize}, ${steps} timed steps after one warm-up (cpu: ${cpuSteps}); images per second.`);
for (const path of paths) console.log(`- ${path}: ${engines.get(path) ?? 'not run'}`);
console.log('');
console.log(`| depth | ${paths.join(' | ')} | PyTorch 2 threads | fastest / PyTorch |`);
console.log(`|---|${paths.map(() => '---|').join('')}---|---|`);
for (const depth of depths) {
  const cells = paths.map((path) => ours.get(path)?.get(depth));
  const t = torch.get(depth);
  const fastest = Math.max(...cells.map((c) => (typeof c === 'number' ? c : 0)));
  const ratio = fastest > 0 && t ? (fastest / t).toFixed(3) : '';
  console.log(`| ${depth} | ${cells.map((c) => (typeof c === 'number' ? c.toFixed(3) : (c ?? ''))).join(' | ')} | ${t?.toFixed(2) ?? ''} | ${ratio} |`);
}
