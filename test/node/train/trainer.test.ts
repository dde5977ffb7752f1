import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '../../../src-main/node/engine/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { resolveRunConfig, type RunConfigInput } from '../../../src-main/common/runConfig';
import type { RunEvent } from '../../../src-main/common/runEvents';
import { RUN_EVENT_SCHEMAS } from '../../../src-main/common/runEvents';
import { initBackend } from '../../../src-main/node/engine/backend';
import { readRunEvents } from '../../../src-main/node/train/runFolder';
import { readCheckpoint } from '../../../src-main/node/weights/checkpointFile';
import { randomResNetStateDict } from '../../../src-main/node/weights/randomInit';
import { describeCheckpoint } from '../../../src-main/node/weights/torchvisionWeights';
import { trainRun, type TrainRunOptions } from '../../../src-main/node/train/trainer';
import { writeColourSplit } from '../../support/colourDataset';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let work: string;
const base = (): RunConfigInput => ({
  trainDir: path.join(work, 'train'),
  testDir: path.join(work, 'test'),
  weights: 'none',
  imageSize: 32,
  epochs: 4,
  batchSize: 8,
  lr: 0.01,
  augment: false,
  seed: 3,
});

async function run(config: RunConfigInput, extra: Partial<TrainRunOptions> = {}): Promise<{ events: RunEvent[]; result: Awaited<ReturnType<typeof trainRun>> | WorkbenchError }> {
  const events: RunEvent[] = [];
  const result = await trainRun({ config: resolveRunConfig(config), runsRoot: path.join(work, 'runs'), batchEventInterval: 0, onEvent: (e) => events.push(e), ...extra }).catch(
    (e: unknown) => e as WorkbenchError,
  );
  return { events, result };
}

describe('training runs (linear mode)', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-train-'));
    await writeColourSplit(path.join(work, 'train'), 10, 1);
    await writeColourSplit(path.join(work, 'test'), 4, 2);
    await writeColourSplit(path.join(work, 'small-train'), 3, 3);
    await writeColourSplit(path.join(work, 'small-test'), 2, 4);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('emits every event the UI needs, valid against its schema, and writes the run folder', async () => {
    const before = tf.memory().numTensors;
    const { events, result } = await run(base());
    expect(result).not.toBeInstanceOf(Error);
    const report = result as Exclude<typeof result, WorkbenchError>;
    expect(tf.memory().numTensors).toBe(before);
    for (const e of events) expect(RUN_EVENT_SCHEMAS[e.event].safeParse(e.payload).success, e.event).toBe(true);
    const kinds = new Set(events.map((e) => e.event));
    for (const k of ['run.started', 'run.progress', 'run.batch', 'run.epoch', 'run.evaluation', 'run.finished']) expect(kinds.has(k as RunEvent['event'])).toBe(true);
    expect(events.filter((e) => e.event === 'run.epoch')).toHaveLength(4);
    expect(events.at(-1)?.event).toBe('run.finished');
    // Colours are easy: the head must learn them.
    expect(report.testAccuracy).toBeGreaterThanOrEqual(0.9);
    const evaluation = events.filter((e) => e.event === 'run.evaluation').at(-1)!.payload as { confusionMatrix: { labels: string[]; matrix: number[][] } };
    expect(evaluation.confusionMatrix.labels).toEqual(['blue', 'green', 'red']);
    expect(evaluation.confusionMatrix.matrix.flat().reduce((a, b) => a + b, 0)).toBe(12);
    for (const file of ['config.json', 'metrics.jsonl', 'last.safetensors', 'best.safetensors', 'features/train.f32', 'features/train.json', 'features/eval.f32', 'features/eval.json', 'report.json']) {
      expect(existsSync(path.join(report.folder, file)), file).toBe(true);
    }
    // Everything from run.started on is in metrics.jsonl (scan progress comes before the folder exists).
    const logged = await readRunEvents(report.folder);
    const fromStart = events.slice(events.findIndex((e) => e.event === 'run.started'));
    expect(logged.map((e) => e.event)).toEqual(fromStart.map((e) => e.event));
    const saved = JSON.parse(await readFile(path.join(report.folder, 'report.json'), 'utf8')) as { testAccuracy: number; config: { depth: number } };
    expect(saved.testAccuracy).toBe(report.testAccuracy);
    expect(saved.config.depth).toBe(18);
  });

  it('keeps the tensor count flat across epochs and runs', async () => {
    const counts: number[] = [];
    await run({ ...base(), epochs: 3 }, {});
    const { result } = await run({ ...base(), epochs: 3 }, {});
    expect(result).not.toBeInstanceOf(Error);
    // Count at each epoch boundary of a third run.
    await trainRun({
      config: resolveRunConfig({ ...base(), epochs: 3 }),
      runsRoot: path.join(work, 'runs'),
      onEvent: (e) => {
        if (e.event === 'run.epoch') counts.push(tf.memory().numTensors);
      },
    });
    expect(new Set(counts).size).toBe(1);
  });

  it('resumes a cancelled run and ends exactly where an uninterrupted run ends', async () => {
    const straight = await run({ ...base(), epochs: 5, schedule: 'cosine' });
    const controller = new AbortController();
    const folder = path.join(work, 'resumable');
    const events: RunEvent[] = [];
    const { result } = await run(
      { ...base(), epochs: 5, schedule: 'cosine' },
      {
        outFolder: folder,
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.event === 'run.epoch' && e.payload.epoch === 2) controller.abort();
        },
      },
    );
    expect((result as WorkbenchError).code).toBe('CANCELLED');
    const failed = events.find((e) => e.event === 'run.failed');
    expect(failed?.payload).toMatchObject({ error: { code: 'CANCELLED' }, checkpoint: path.join(folder, 'last.safetensors') });
    // What a writer killed in this folder left half-written goes when the run is resumed (the pid is not running).
    const torn = path.join(folder, '.last.safetensors.2147483646.0123456789ab.tmp');
    await writeFile(torn, 'partial');
    const resumed = await run(base(), { resume: folder });
    await expect(stat(torn)).rejects.toMatchObject({ code: 'ENOENT' });
    const a = straight.result as Exclude<typeof straight.result, WorkbenchError>;
    const b = resumed.result as Exclude<typeof resumed.result, WorkbenchError>;
    expect(b.epochsRun).toBe(5);
    expect(b.history.map((h) => h.trainLoss)).toEqual(a.history.map((h) => h.trainLoss));
    expect(b.testAccuracy).toBe(a.testAccuracy);
    // The resumed run reused the cached features: no feature extraction happened.
    expect(resumed.events.some((e) => e.event === 'run.progress' && e.payload.phase === 'features')).toBe(false);
  });

  it('stops with an explanation when the backbone produces non-finite features', async () => {
    // On the cpu backend NaN propagates as in PyTorch (XNNPACK's ReLU may map NaN to 0 instead).
    await initBackend({ candidates: ['cpu'] });
    try {
      const { events, result } = await run({ ...base(), std: [1e-44, 1e-44, 1e-44] });
      expect(result).toBeInstanceOf(WorkbenchError);
      expect((result as WorkbenchError).code).toBe('TRAINING_DIVERGED');
      expect((result as Error).message).toMatch(/non-finite features/);
      expect(events.at(-1)?.event).toBe('run.failed');
    } finally {
      await initBackend({ candidates: ['wasm', 'cpu'] });
    }
  });

  it('holds out a stratified validation split when there is no test folder', async () => {
    const { events, result } = await run({ ...base(), testDir: undefined, valSplit: 0.3 });
    const started = events.find((e) => e.event === 'run.started')!.payload as { evalSplit: string; trainImages: number; evalImages: number };
    expect(started).toMatchObject({ evalSplit: 'validation', trainImages: 21, evalImages: 9 });
    expect((result as { evalSplit: string }).evalSplit).toBe('validation');
  });

  it('fine-tunes layer4 and the head on wasm, the frozen prefix on the frozen-pass engine, and saves a full torchvision checkpoint', async () => {
    const before = tf.memory().numTensors;
    // An earlier test may have left the engine on cpu, which the run would keep.
    await initBackend({ candidates: ['wasm'] });
    try {
      const { events, result } = await run({
        ...base(),
        trainDir: path.join(work, 'small-train'),
        testDir: path.join(work, 'small-test'),
        mode: 'finetune',
        unfreeze: 'layer4',
        epochs: 2,
        batchSize: 4,
        lr: 0.01,
        // Three images a class: all of them train, and the last epoch is kept (scored once on the test folder).
        valSplit: 0,
        selectEpoch: 'last',
      });
      expect(result).not.toBeInstanceOf(Error);
      const report = result as Exclude<typeof result, WorkbenchError>;
      // wasm has convolution gradients now (engine/wasmKernels.ts): no fall back to the slow cpu backend.
      expect(report.backend).toBe('wasm');
      expect(report.notices.join(' ')).not.toMatch(/cpu backend/);
      // The run records what ran the frozen prefix: ONNX Runtime here, or tfjs with the reason.
      expect(report.inference).toBeDefined();
      if (report.inference!.engine === 'tfjs') expect(report.inference!.skipped.map((s) => s.choice)).toContain('onnxruntime');
      for (const e of events) expect(RUN_EVENT_SCHEMAS[e.event].safeParse(e.payload).success, e.event).toBe(true);
      expect(report.history).toHaveLength(2);
      expect(report.history[1]!.trainLoss).toBeLessThan(report.history[0]!.trainLoss);
      const best = await readCheckpoint(path.join(report.folder, 'best.safetensors'));
      expect(describeCheckpoint(best)).toEqual({ depth: 18, numClasses: 3 });
      // Frozen stages did not move: conv1 and layer3 equal the seeded initialisation.
      const init = randomResNetStateDict(18, 1000, 3);
      for (const key of ['conv1.weight', 'layer3.1.conv2.weight']) {
        expect(Array.from(best.get(key)!.data as Float32Array), key).toEqual(Array.from(init.get(key)!.data as Float32Array));
      }
      expect(Array.from(best.get('layer4.1.conv2.weight')!.data as Float32Array)).not.toEqual(Array.from(init.get('layer4.1.conv2.weight')!.data as Float32Array));
    } finally {
      await initBackend({ candidates: ['wasm', 'cpu'] });
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);

  it('fine-tunes on the pure-JS cpu backend when that is the engine, and says it will be slow', async () => {
    const before = tf.memory().numTensors;
    // The engine already runs on cpu (as where wasm cannot load): the run keeps it.
    await initBackend({ candidates: ['cpu'] });
    try {
      const { result } = await run({
        ...base(),
        trainDir: path.join(work, 'small-train'),
        testDir: path.join(work, 'small-test'),
        mode: 'finetune',
        unfreeze: 'layer4',
        epochs: 1,
        batchSize: 4,
        lr: 0.01,
      });
      expect(result).not.toBeInstanceOf(Error);
      const report = result as Exclude<typeof result, WorkbenchError>;
      expect(report.backend).toBe('cpu');
      expect(report.notices.join(' ')).toMatch(/cpu backend/);
      expect(report.history).toHaveLength(1);
    } finally {
      await initBackend({ candidates: ['wasm', 'cpu'] });
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);

  it('fails clearly when ImageNet weights cannot be had, or falls back with a notice when allowed', async () => {
    const offline = { baseUrl: `http://127.0.0.1:${await closedPort()}`, folder: path.join(work, 'weights'), timeoutMs: 2000 };
    const strict = await run({ ...base(), weights: 'imagenet' }, { weightsOptions: offline });
    expect((strict.result as WorkbenchError).code).toBe('OFFLINE');
    const lenient = await run({ ...base(), weights: 'imagenet', epochs: 1 }, { weightsOptions: offline, allowRandomFallback: true });
    expect((lenient.result as { notices: string[] }).notices.join(' ')).toMatch(/random initialisation/);
  });
});
