/**
 * The reference transfer-learning script against `resnet-workbench train`, side by side on the same
 * folders, the same backbone checkpoint and the same machine, in one run: whole-job wall time, test
 * accuracy, images per second and speed-up.
 *
 *   npx tsx bench/seed-compare.ts [--size 224] [--classes 5] [--train-per-class 100] [--test-per-class 40]
 *                                 [--ref-epochs 10] [--keep] [--write]
 *
 * Targets (defaults, start-up included): at most 0.15× the reference's wall time at 224 px and at
 * most 0.5× at 32 px, at equal or better accuracy. Each size has its own section in docs/benchmarks.md.
 *
 * - Data: Fashion-MNIST from Debian's dataset-fashion-mnist, written as greyscale PNG ImageFolder
 *   trees in a temp folder; train images from its train split, test images from its t10k split.
 * - Backbone: ImageNet weights cannot be downloaded here, so both sides load the same torchvision
 *   ResNet-18 checkpoint, written by PyTorch from torch.manual_seed(0) (random initialisation).
 * - Reference: bench/seed_reference.py with Debian's /usr/bin/python3 (2 threads, 2 loader workers).
 * - Workbench: `npx resnet-workbench train --json` with its defaults (the configuration that counts) and
 *   a second configuration tuned for accuracy (SECOND_CONFIG). Phases come from the JSON events as they
 *   arrive: start-up (process start to the first event), scanning, backbone and weights (to run.started),
 *   features, head training (sum of run.epoch seconds) and the rest (evaluation, checkpoints, report).
 * - Wall time is measured here, from spawning each process to its exit, for both sides alike.
 * - --write replaces the "Reference script comparison" section of docs/benchmarks.md with the result.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IMAGENET_NORMALIZATION } from '../src-main/common/normalization';
import { createBatchLoader, type LabeledImage } from '../src-main/node/dataset/batchLoader';
import { FASHION_MNIST_CLASSES, readFashionMnist, writeImageFolder } from '../test/support/fashionMnist';
import { scanImageFolder } from '../src-main/node/dataset/scanImageFolder';
import { replaceBenchmarkSection } from './benchmarksDoc';

const PYTHON = '/usr/bin/python3';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const sectionFor = (size: number): string => `## Reference script comparison at ${size} px`;
/** The wall-time ratio (workbench ÷ reference, defaults) each size must reach. */
const TIME_TARGET: Record<number, number> = { 224: 0.15, 32: 0.5 };
/** Fashion-MNIST classes in the order they are taken: the bundled demo's five first (distinct shapes), then the rest. */
const CLASS_ORDER = [0, 1, 3, 7, 8, 2, 4, 5, 6, 9];
/** The workbench configuration chosen for accuracy: the head is cheap on cached features, so it gets more epochs and a higher rate. */
const SECOND_CONFIG = ['--epochs', '50', '--lr', '0.01'];
/** Load average is sampled this often while the jobs run. */
const LOAD_SAMPLE_MS = 15_000;

/** 1-minute load average samples, stamped with performance.now(). */
const loadLog: { at: number; load: number }[] = [];

function sampleLoad(): void {
  loadLog.push({ at: performance.now(), load: loadavg()[0] ?? 0 });
}

/** Mean of the load samples taken between two performance.now() stamps. */
function meanLoad(from: number, to: number): number {
  const inside = loadLog.filter((s) => s.at >= from && s.at <= to).map((s) => s.load);
  return inside.length > 0 ? inside.reduce((a, b) => a + b, 0) / inside.length : Number.NaN;
}

interface ProcessResult {
  code: number | null;
  seconds: number;
  /** Mean 1-minute load average while the process ran (the process's own load included). */
  load: number;
  stderr: string;
  /** stdout lines with the seconds since spawn at which each arrived. */
  lines: { at: number; text: string }[];
}

/** Runs a command to its exit, timing it from spawn, with each stdout line stamped as it arrives. */
function runTimed(command: string, args: readonly string[], label: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    sampleLoad();
    const child = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: ProcessResult['lines'] = [];
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const at = (performance.now() - started) / 1000;
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const text of parts) lines.push({ at, text });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending) lines.push({ at: (performance.now() - started) / 1000, text: pending });
      sampleLoad();
      const ended = performance.now();
      const seconds = (ended - started) / 1000;
      const load = meanLoad(started, ended);
      process.stderr.write(`${label}: ${seconds.toFixed(1)} s, mean load ${load.toFixed(2)}, exit ${code}\n`);
      resolve({ code, seconds, load, stderr, lines });
    });
  });
}

function jsonLines(result: ProcessResult): { at: number; value: Record<string, unknown> }[] {
  return result.lines.flatMap(({ at, text }) => {
    try {
      const value: unknown = JSON.parse(text);
      return value !== null && typeof value === 'object' ? [{ at, value: value as Record<string, unknown> }] : [];
    } catch {
      return [];
    }
  });
}

function failIfBad(result: ProcessResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
}

interface ReferenceResult {
  seconds: number;
  load: number;
  innerSeconds: number;
  testAccuracy: number;
  trainImages: number;
  testImages: number;
  epochs: number;
  epochSeconds: number[];
  testSeconds: number;
  torch: string;
  torchvision: string;
}

async function runReference(trainDir: string, testDir: string, weights: string, epochs: number, size: number): Promise<ReferenceResult> {
  const result = await runTimed(PYTHON, ['bench/seed_reference.py', '--train', trainDir, '--test', testDir, '--weights', weights, '--epochs', String(epochs), '--size', String(size)], 'reference');
  failIfBad(result, 'bench/seed_reference.py');
  const summary = jsonLines(result).find((l) => l.value.event === 'summary')?.value;
  if (!summary) throw new Error(`bench/seed_reference.py printed no summary:\n${result.stderr.slice(-2000)}`);
  return {
    seconds: result.seconds,
    load: result.load,
    innerSeconds: summary.seconds as number,
    testAccuracy: summary.testAccuracy as number,
    trainImages: summary.trainImages as number,
    testImages: summary.testImages as number,
    epochs: summary.epochs as number,
    epochSeconds: summary.epochSeconds as number[],
    testSeconds: summary.testSeconds as number,
    torch: summary.torch as string,
    torchvision: summary.torchvision as string,
  };
}

interface WorkbenchPhases {
  startup: number;
  scanning: number;
  backboneAndWeights: number;
  features: number;
  headTraining: number;
  rest: number;
}

interface WorkbenchResult {
  label: string;
  args: string[];
  seconds: number;
  load: number;
  testAccuracy: number;
  lastEpochAccuracy: number | null;
  bestEpoch: number;
  epochsRun: number;
  backend: string;
  /** What computed the frozen backbone's features, in a few words. */
  engine: string;
  featureImages: number;
  phases: WorkbenchPhases;
}

async function runWorkbench(label: string, trainDir: string, testDir: string, weights: string, out: string, size: number, extra: readonly string[]): Promise<WorkbenchResult> {
  const args = ['train', '--train', trainDir, '--test', testDir, '--depth', '18', '--weights', weights, '--image-size', String(size), ...extra, '--out', out, '--json'];
  const result = await runTimed('npx', ['resnet-workbench', ...args], label);
  failIfBad(result, `resnet-workbench ${label}`);
  const events = jsonLines(result);
  const summary = events.find((l) => l.value.ok === true)?.value;
  if (!summary) throw new Error(`resnet-workbench ${label} printed no summary:\n${result.stderr.slice(-2000)}`);
  const firstAt = events[0]?.at ?? 0;
  const startedAt = events.find((l) => l.value.event === 'run.started')?.at ?? firstAt;
  const lastScanAt = events.filter((l) => l.value.event === 'run.progress' && l.value.phase === 'scanning' && l.at <= startedAt).at(-1)?.at ?? firstAt;
  const featureEvents = events.filter((l) => l.value.event === 'run.progress' && l.value.phase === 'features');
  const featuresDoneAt = featureEvents.at(-1)?.at ?? startedAt;
  const epochs = events.filter((l) => l.value.event === 'run.epoch').map((l) => l.value);
  const headTraining = epochs.reduce((sum, e) => sum + (e.seconds as number), 0);
  const phases: WorkbenchPhases = {
    startup: firstAt,
    scanning: lastScanAt - firstAt,
    backboneAndWeights: startedAt - lastScanAt,
    features: featuresDoneAt - startedAt,
    headTraining,
    rest: result.seconds - featuresDoneAt - headTraining,
  };
  return {
    label,
    args: extra.length > 0 ? [...extra] : ['(defaults)'],
    seconds: result.seconds,
    load: result.load,
    testAccuracy: summary.testAccuracy as number,
    lastEpochAccuracy: (epochs.at(-1)?.evalAccuracy as number | null | undefined) ?? null,
    bestEpoch: summary.bestEpoch as number,
    epochsRun: summary.epochsRun as number,
    backend: summary.backend as string,
    engine: engineLabel(summary.inference as { engine: string; provider: string; threads: number | null } | undefined, summary.backend as string),
    featureImages: (featureEvents.at(-1)?.value.total as number | undefined) ?? 0,
    phases,
  };
}

function engineLabel(inference: { engine: string; provider: string; threads: number | null } | undefined, backend: string): string {
  if (!inference) return `tfjs ${backend}`;
  return inference.engine === 'onnxruntime' ? `ONNX Runtime ${inference.provider}, ${inference.threads} threads` : `tfjs ${inference.provider}`;
}

/** Seconds to decode and transform every image once (eval view) with the workbench's loader, no backbone. */
async function measureDecode(dirs: readonly string[], size: number): Promise<{ images: number; seconds: number }> {
  const images: LabeledImage[] = [];
  for (const dir of dirs) {
    const scan = await scanImageFolder(dir, { verifyPixels: false });
    images.push(...scan.images.map((i) => ({ path: i.path, label: i.classIndex })));
  }
  const loader = createBatchLoader(images, { batchSize: 16, transform: { kind: 'eval', options: { size, crop: 0.875, normalization: IMAGENET_NORMALIZATION } } });
  const started = performance.now();
  let count = 0;
  for await (const batch of loader.epoch(0)) count += batch.count;
  return { images: count, seconds: (performance.now() - started) / 1000 };
}

async function writeCheckpoint(file: string): Promise<void> {
  const script = ['import torch, torchvision', 'torch.manual_seed(0)', `torch.save(torchvision.models.resnet18().state_dict(), ${JSON.stringify(file)})`].join('\n');
  failIfBad(await runTimed(PYTHON, ['-c', script], 'checkpoint'), 'writing the checkpoint');
}

async function cpuModel(): Promise<string> {
  const info = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
}

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const sec = (x: number): string => `${x.toFixed(1)} s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      classes: { type: 'string', default: '5' },
      'train-per-class': { type: 'string', default: '100' },
      'test-per-class': { type: 'string', default: '40' },
      'ref-epochs': { type: 'string', default: '10' },
      size: { type: 'string', default: '224' },
      keep: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
    },
  });
  const classCount = Number(values.classes);
  const trainPerClass = Number(values['train-per-class']);
  const testPerClass = Number(values['test-per-class']);
  const refEpochs = Number(values['ref-epochs']);
  const size = Number(values.size);
  const SECTION = sectionFor(size);
  const timeTarget = TIME_TARGET[size] ?? 0.5;
  if (!(classCount >= 2 && classCount <= 10) || !(trainPerClass >= 1) || !(testPerClass >= 1) || !(refEpochs >= 1)) {
    throw new Error('--classes must be 2–10; --train-per-class, --test-per-class and --ref-epochs at least 1');
  }
  const classes = CLASS_ORDER.slice(0, classCount);
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  sampleLoad();
  const sampler = setInterval(sampleLoad, LOAD_SAMPLE_MS);

  const root = await mkdtemp(join(tmpdir(), 'seed-compare-'));
  try {
    const trainDir = join(root, 'train');
    const testDir = join(root, 'test');
    const weights = join(root, 'resnet18-seed0.pth');
    await writeImageFolder(readFashionMnist('train'), trainDir, classes, trainPerClass);
    await writeImageFolder(readFashionMnist('t10k'), testDir, classes, testPerClass);
    await writeCheckpoint(weights);

    const reference = await runReference(trainDir, testDir, weights, refEpochs, size);
    const defaults = await runWorkbench('workbench, defaults', trainDir, testDir, weights, join(root, 'run-default'), size, []);
    const second = await runWorkbench('workbench, tuned head', trainDir, testDir, weights, join(root, 'run-tuned'), size, SECOND_CONFIG);
    const decode = await measureDecode([trainDir, testDir], size);
    clearInterval(sampler);
    sampleLoad();
    const loadSamples = loadLog.map((s) => s.load);

    const refImages = reference.trainImages * reference.epochs + reference.testImages;
    const rows = [
      `| Job | Whole-job wall time | Test accuracy | Backbone passes | Images/s (passes ÷ wall) | Speed-up | Mean load ³ |`,
      `|---|---:|---:|---:|---:|---:|---:|`,
      `| Reference script (PyTorch ${reference.torch}, ${reference.epochs} epochs) | ${sec(reference.seconds)} | ${pct(reference.testAccuracy)} ¹ | ${refImages} | ${(refImages / reference.seconds).toFixed(1)} | 1.00× | ${reference.load.toFixed(2)} |`,
      ...[defaults, second].map(
        (w) =>
          `| resnet-workbench ${w.args.join(' ')} (${w.engine}) | ${sec(w.seconds)} | ${pct(w.testAccuracy)} ² (last epoch ${pct(w.lastEpochAccuracy)}) | ${w.featureImages} | ${(w.featureImages / w.seconds).toFixed(1)} | ${(reference.seconds / w.seconds).toFixed(2)}× | ${w.load.toFixed(2)} |`,
      ),
    ];
    const phaseRows = [
      `| Phase | ${defaults.label} | ${second.label} |`,
      `|---|---:|---:|`,
      ...(
        [
          ['start-up (npx, tsx, tfjs; to the first event)', 'startup'],
          ['scanning the folders', 'scanning'],
          ['backend, backbone weights, run folder', 'backboneAndWeights'],
          ['features (decode + frozen backbone, once per image and view)', 'features'],
          ['head training (sum of run.epoch seconds)', 'headTraining'],
          ['evaluation, checkpoints, report, exit', 'rest'],
        ] as const
      ).map(([name, key]) => `| ${name} | ${sec(defaults.phases[key])} | ${sec(second.phases[key])} |`),
      `| **whole job** | **${sec(defaults.seconds)}** | **${sec(second.seconds)}** |`,
    ];
    /** Decode time at the measured rate for as many images as the features phase decoded. */
    const decodeInFeatures = (defaults.featureImages * decode.seconds) / Math.max(decode.images, 1);
    const meanEpoch = reference.epochSeconds.reduce((a, b) => a + b, 0) / reference.epochSeconds.length;
    const accuracyMet = defaults.testAccuracy >= reference.testAccuracy;
    const timeMet = defaults.seconds <= reference.seconds * timeTarget;
    const ratio = defaults.seconds / reference.seconds;
    const verdict =
      `Target (defaults): equal or better accuracy — ${accuracyMet ? 'met' : `missed by ${((reference.testAccuracy - defaults.testAccuracy) * 100).toFixed(1)} points`}; ` +
      `at most ${timeTarget}× the time — ${timeMet ? 'met' : 'missed'}: the workbench took ${ratio.toFixed(2)} of the reference's wall time ` +
      `(${ratio <= 1 ? `${(1 / ratio).toFixed(2)}× faster` : `${ratio.toFixed(2)}× slower`}).`;
    const loadMax = Math.max(...loadSamples);
    const loadMean = loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length;
    const reproduce = ['npx tsx bench/seed-compare.ts', ...process.argv.slice(2).filter((a) => a !== '--write' && a !== '--keep')].join(' ');
    const section = [
      SECTION,
      '',
      `The reference transfer script (bench/seed_reference.py: frozen ResNet-18, new \`fc\`, Adam lr 1e-3, batch 15, ${reference.epochs} epochs, ` +
        'its flaws kept: backbone run on every image every epoch, train-mode BatchNorm, no input normalization, optimizer steps on the test set) ' +
        'against `resnet-workbench train` in linear mode, on the same folders and the same checkpoint, one after the other in one run.',
      '',
      `- Machine: ${await cpuModel()}, ${cpus().length} cores; Node ${process.versions.node}; PyTorch ${reference.torch}, torchvision ${reference.torchvision} ` +
        '(Debian, 2 threads, DataLoader num_workers=2); workbench frozen backbone: ' + `${defaults.engine}; head on tfjs ${defaults.backend}.`,
      `- Date: ${date} UTC. Load average (1 min) sampled every ${LOAD_SAMPLE_MS / 1000} s: ${loadSamples[0]?.toFixed(2)} at the start, ${loadSamples.at(-1)?.toFixed(2)} at the end, ` +
        `mean ${loadMean.toFixed(2)}, max ${loadMax.toFixed(2)}.` +
        (loadMax > cpus().length * 0.75 ? ' Other processes were loading this shared machine during the run, so every timing is inflated; the jobs ran one after another under a load that varied, so the ratios are approximate.' : ''),
      `- Data: Fashion-MNIST (Debian's dataset-fashion-mnist), ${classCount} classes (${classes.map((c) => FASHION_MNIST_CLASSES[c]).join(', ')}), ` +
        `${trainPerClass} train images per class from its train split and ${testPerClass} test images per class from its t10k split: ` +
        `${reference.trainImages} train, ${reference.testImages} test, 28 × 28 greyscale PNGs, resized to ${size} px on both sides.`,
      '- Backbone: ImageNet weights cannot be downloaded on this machine, so both sides load the same torchvision ResNet-18 checkpoint written by PyTorch ' +
        'from `torch.manual_seed(0)` (random initialisation). Absolute accuracies are therefore far below what ImageNet weights give; the comparison is like-for-like.',
      `- Reproduce: \`${reproduce}\` (add \`--write\` to replace this section).`,
      '',
      ...rows,
      '',
      `¹ Optimistic: the reference steps its optimizer on each test batch after scoring it, so the head keeps learning from the test set while it is scored. ` +
        'Its test loader shuffles; unshuffled, ImageFolder\'s class-sorted batches break its train-mode BatchNorm (see bench/seed_reference.py).',
      `² The workbench holds out a fifth of the train folder for validation, chooses the best epoch on it and scores the test folder once, on that epoch's head; the last epoch's validation accuracy is given beside it.`,
      `³ Mean 1-minute load average while the job ran, its own load included (the reference keeps about 2 cores busy, the workbench about 1–2); well above 2 means other processes shared the 2 cores.`,
      '',
      verdict,
      '',
      `Where the workbench's time goes (from its JSON events as they arrived): features cover ${defaults.featureImages} backbone passes (defaults: ` +
        `each train image twice, clean and one augmented view, plus each test image once). Decoding and resizing alone, without the backbone, ` +
        `takes ${sec(decode.seconds)} for ${decode.images} images with our loader (${(decode.images / decode.seconds).toFixed(0)} images/s): about ${sec(decodeInFeatures)} of the ` +
        `${sec(defaults.phases.features)} features phase, so the rest, ${(100 * (1 - decodeInFeatures / defaults.phases.features)).toFixed(0)}%, is the frozen backbone's forward pass on ${defaults.engine} ` +
        `(${(defaults.featureImages / Math.max(defaults.phases.features - decodeInFeatures, 1e-9)).toFixed(1)} images/s). The reference spends ${sec(meanEpoch)} per epoch (${(reference.trainImages / meanEpoch).toFixed(1)} images/s through its backbone, ` +
        `forward in train mode plus the backward of fc) and ${sec(reference.testSeconds)} on its test loop; start-up and import take ${sec(reference.seconds - reference.innerSeconds)}.`,
      '',
      ...phaseRows,
      '',
    ].join('\n');
    process.stdout.write(`${section}\n`);
    if (values.write) await replaceBenchmarkSection(SECTION, section);
  } finally {
    clearInterval(sampler);
    if (values.keep) process.stderr.write(`kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
