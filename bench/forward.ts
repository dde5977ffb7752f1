/**
 * Forward-pass benchmark: ms per image of each ResNet depth on ONNX Runtime (the engine of every
 * frozen forward pass, CPU provider, intra-op threads = physical cores) and on each tfjs backend that
 * loads here, at 224 px, batch 1 and batch 8, next to torchvision in PyTorch (2 threads) on the same
 * machine in the same run.
 *
 *   npx tsx bench/forward.ts [--depths 18,34,50,101,152] [--batches 1,8] [--size 224] [--runs 3]
 *                            [--backends onnxruntime,tensorflow-gpu,tensorflow,wasm,cpu] [--threads N]
 *                            [--max-forward-seconds 60] [--write]
 *
 * Each configuration gets a warm-up run, then up to --runs timed runs (fewer when one run is slow); the
 * best run counts, on both sides, since on a shared machine the slower runs measure other jobs too.
 * The pure-JS cpu backend is ~100x slower than native: a configuration whose single forward pass is
 * predicted (from the last measurement, scaled by torchvision's GFLOPs) to exceed
 * --max-forward-seconds is skipped and the table says so. --write replaces the "Forward pass"
 * section of docs/benchmarks.md with the result.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import * as tf from '../src-main/node/engine/tf';
import { RESNET_DEPTHS, isResNetDepth, type ResNetDepth } from '../src-main/common/resnetSpec';
import { BACKEND_NAMES, initBackend, type BackendName } from '../src-main/node/engine/backend';
import { openFrozenNetwork } from '../src-main/node/engine/frozenNetwork';
import { buildResNet } from '../src-main/node/engine/resnet';
import { randomResNetStateDict } from '../src-main/node/weights/randomInit';
import { replaceBenchmarkSection } from './benchmarksDoc';

const PYTHON = '/usr/bin/python3';
const SECTION = '## Forward pass';
/** torchvision's published GFLOPs per 224 px image, used only to predict how long a run will take. */
const GFLOPS: Record<ResNetDepth, number> = { 18: 1.81, 34: 3.66, 50: 4.09, 101: 7.8, 152: 11.51 };
/** Timed runs of one configuration should take about this long in total. */
const TIMED_BUDGET_MS = 30_000;

interface Cell {
  depth: ResNetDepth;
  batch: number;
  msPerImage?: number;
  runs?: number;
  /** Why there is no measurement. */
  skipped?: string;
}

interface Column {
  label: string;
  cells: Cell[];
  /** 1-minute load average when the column started: how busy the shared machine was. */
  load: number;
}

function list(value: string): number[] {
  return value.split(',').map((s) => Number(s.trim()));
}

function timeForward(model: tf.LayersModel, input: tf.Tensor4D): number {
  const started = performance.now();
  const out = model.predict(input) as tf.Tensor;
  out.dataSync();
  out.dispose();
  return performance.now() - started;
}

/** ONNX Runtime through the engine's own frozen network (the graph written from the state dict). */
async function measureOnnxRuntime(depths: ResNetDepth[], batches: number[], size: number, maxRuns: number, threads: number | undefined): Promise<{ cells: Cell[]; label: string }> {
  const cells: Cell[] = [];
  let label = 'ONNX Runtime';
  for (const depth of depths) {
    const network = await openFrozenNetwork(randomResNetStateDict(depth, 1000, 0), { depth, output: 'logits', imageSize: size }, { engine: 'onnxruntime', provider: 'cpu', ...(threads ? { threads } : {}) });
    label = `ONNX Runtime ${network.used.version} (${network.used.provider}, ${network.used.threads} threads)`;
    try {
      for (const batch of batches) {
        const input = new Float32Array(batch * size * size * 3).map(() => Math.random() * 2 - 1);
        const time = async (): Promise<number> => {
          const started = performance.now();
          await network.run(input, batch);
          return performance.now() - started;
        };
        const warmup = await time();
        const runs = Math.max(1, Math.min(maxRuns, Math.floor(TIMED_BUDGET_MS / warmup)));
        let best = Number.POSITIVE_INFINITY;
        for (let r = 0; r < runs; r++) best = Math.min(best, await time());
        cells.push({ depth, batch, msPerImage: best / batch, runs });
        process.stderr.write(`onnxruntime ResNet-${depth} batch ${batch}: ${(best / batch).toFixed(1)} ms/image (${runs} runs)\n`);
      }
    } finally {
      await network.dispose();
    }
  }
  return { cells, label };
}

async function measureBackend(backend: BackendName, depths: ResNetDepth[], batches: number[], size: number, maxRuns: number, maxForwardMs: number): Promise<Cell[]> {
  const cells: Cell[] = [];
  // ms per GFLOP from the latest measurement; predicts the next configuration's time.
  let msPerGflop: number | undefined;
  for (const depth of depths) {
    const model = buildResNet(depth, 1000, { inputSize: size });
    try {
      for (const batch of batches) {
        const predicted = msPerGflop === undefined ? undefined : msPerGflop * GFLOPS[depth] * batch;
        if (predicted !== undefined && predicted > maxForwardMs) {
          cells.push({ depth, batch, skipped: `one forward pass ≈ ${Math.round(predicted / 1000)} s` });
          process.stderr.write(`${backend} ResNet-${depth} batch ${batch}: skipped (predicted ${Math.round(predicted / 1000)} s per forward pass)\n`);
          continue;
        }
        const input = tf.randomNormal([batch, size, size, 3]) as tf.Tensor4D;
        try {
          const warmup = timeForward(model, input);
          // Kernel set-up makes the first run slow on some backends: the warm-up bounds the run count only.
          const runs = Math.max(1, Math.min(maxRuns, Math.floor(TIMED_BUDGET_MS / warmup)));
          let best = Number.POSITIVE_INFINITY;
          for (let r = 0; r < runs; r++) best = Math.min(best, timeForward(model, input));
          const msPerImage = best / batch;
          msPerGflop = msPerImage / GFLOPS[depth];
          cells.push({ depth, batch, msPerImage, runs });
          process.stderr.write(`${backend} ResNet-${depth} batch ${batch}: ${msPerImage.toFixed(1)} ms/image (${runs} runs)\n`);
        } finally {
          input.dispose();
        }
      }
    } finally {
      model.dispose();
    }
  }
  return cells;
}

interface TorchResult {
  torch: string;
  torchvision: string;
  threads: number;
  results: { depth: ResNetDepth; batch: number; msPerImage: number; runs: number }[];
}

async function measureTorch(depths: ResNetDepth[], batches: number[], size: number, runs: number): Promise<TorchResult> {
  const script = fileURLToPath(new URL('./forward_torch.py', import.meta.url));
  const args = [script, '--depths', depths.join(','), '--batches', batches.join(','), '--size', String(size), '--runs', String(runs), '--threads', '2'];
  const { stdout } = await promisify(execFile)(PYTHON, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as TorchResult;
}

async function cpuModel(): Promise<string> {
  try {
    const info = await readFile('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown CPU';
  } catch {
    return cpus()[0]?.model ?? 'unknown CPU';
  }
}

function formatCell(cell: Cell | undefined): string {
  if (!cell) return '–';
  if (cell.msPerImage === undefined) return `skipped (${cell.skipped ?? 'not run'})`;
  return cell.msPerImage >= 100 ? `${Math.round(cell.msPerImage)}` : cell.msPerImage.toFixed(1);
}

function markdownTable(columns: Column[], depths: ResNetDepth[], batches: number[]): string {
  const header = ['ResNet', ...columns.flatMap((c) => batches.map((b) => `${c.label}, batch ${b}`))];
  const rows = depths.map((depth) => [
    String(depth),
    ...columns.flatMap((c) => batches.map((b) => formatCell(c.cells.find((cell) => cell.depth === depth && cell.batch === b)))),
  ]);
  return [header, header.map(() => '---:'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n').replace('| ---: |', '| :--- |');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      depths: { type: 'string', default: RESNET_DEPTHS.join(',') },
      batches: { type: 'string', default: '1,8' },
      size: { type: 'string', default: '224' },
      runs: { type: 'string', default: '3' },
      backends: { type: 'string', default: ['onnxruntime', ...BACKEND_NAMES].join(',') },
      threads: { type: 'string' },
      'max-forward-seconds': { type: 'string', default: '60' },
      write: { type: 'boolean', default: false },
    },
  });
  const depths = list(values.depths).filter(isResNetDepth);
  const batches = list(values.batches);
  const size = Number(values.size);
  const runs = Number(values.runs);
  const maxForwardMs = Number(values['max-forward-seconds']) * 1000;
  const loadBefore = loadavg();
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');

  const columns: Column[] = [];
  const unavailable: string[] = [];
  const requested = values.backends.split(',');
  if (requested.includes('onnxruntime')) {
    const load = loadavg()[0] as number;
    const measured = await measureOnnxRuntime(depths, batches, size, runs, values.threads ? Number(values.threads) : undefined);
    columns.push({ label: measured.label, cells: measured.cells, load });
  }
  for (const name of requested.filter((b) => b !== 'onnxruntime') as BackendName[]) {
    try {
      await initBackend({ candidates: [name] });
    } catch (error) {
      // initBackend's message already reads "<backend>: <reason>".
      unavailable.push((error as Error).message.replace(/^No TensorFlow.js backend could be loaded: /, ''));
      continue;
    }
    if (tf.getBackend() !== (name.startsWith('tensorflow') ? 'tensorflow' : name)) {
      unavailable.push(`${name}: RESNET_WORKBENCH_BACKEND forced ${tf.getBackend()}`);
      continue;
    }
    const load = loadavg()[0] as number;
    columns.push({ label: `tfjs ${name}`, cells: await measureBackend(name, depths, batches, size, runs, maxForwardMs), load });
  }
  const torchLoad = loadavg()[0] as number;
  const torch = await measureTorch(depths, batches, size, runs);
  columns.push({ label: `PyTorch ${torch.torch} (${torch.threads} threads)`, cells: torch.results, load: torchLoad });
  const loadAfter = loadavg();

  const table = markdownTable(columns, depths, batches);
  const skippedAny = columns.some((c) => c.cells.some((cell) => cell.skipped));
  const section = [
    SECTION,
    '',
    `Milliseconds per image, ${size} × ${size} px, eval mode, 1000 classes; a warm-up run, then the best of up to ${runs} timed runs.`,
    '',
    `- Machine: ${await cpuModel()}, ${cpus().length} cores; Node ${process.versions.node}, tfjs ${tf.version.tfjs}, torch ${torch.torch}, torchvision ${torch.torchvision}.`,
    `- Date: ${date} UTC. Load average (1 min) ${loadBefore[0]?.toFixed(2)} at the start, ` +
      `${columns.map((c) => `${c.load.toFixed(2)} when ${c.label} started`).join(', ')}, ${loadAfter[0]?.toFixed(2)} at the end ` +
      '(other jobs on this shared machine count in: above ~1 on 2 cores the timings are inflated, PyTorch\'s two threads most).',
    '- ONNX Runtime runs the graph the engine writes from the state dict (what features, evaluation and predictions use), CPU provider; tfjs wasm runs one thread in Node; PyTorch is limited to 2 threads (`torch.set_num_threads(2)`).',
    ...(unavailable.length > 0 ? [`- Not available here: ${unavailable.join('; ')}.`] : []),
    ...(Math.max(loadBefore[0] as number, loadAfter[0] as number, ...columns.map((c) => c.load)) > 2
      ? ['- This run shared the machine with other jobs: expect noise of a factor ~2 (rows need not grow with depth); read the columns as rough ratios and re-run on an idle machine for firm numbers.']
      : []),
    ...(skippedAny ? ['- "skipped": the pure-JS cpu backend would take longer than the time shown for one forward pass, predicted from the previous measurement.'] : []),
    `- Reproduce: \`${['npx tsx bench/forward.ts', ...process.argv.slice(2)].join(' ')}\``,
    '',
    table,
    '',
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (values.write) await replaceBenchmarkSection(SECTION, section);
}

await main();
