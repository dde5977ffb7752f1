/**
 * The three splits on the default configuration (augmentation on, two views): validation held out of
 * the train folder chooses the epoch, the test folder is scored once at the end, and each figure is
 * named. Files that cannot be used are reported, never dropped in silence.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { resolveRunConfig, type RunConfigInput } from '../../../src-main/common/runConfig';
import { RUN_EVENT_SCHEMAS, type RunEvent } from '../../../src-main/common/runEvents';
import { initBackend } from '../../../src-main/node/engine/backend';
import { readTestPredictions } from '../../../src-main/node/train/epochPredictions';
import { trainRun, type RunReport, type TrainRunOptions } from '../../../src-main/node/train/trainer';
import { writeColourSplit } from '../../support/colourDataset';

let work: string;
/** The defaults but for what keeps the test small: augmentation and views as a user gets them. */
const defaults = (): RunConfigInput => ({
  trainDir: path.join(work, 'train'),
  testDir: path.join(work, 'test'),
  weights: 'none',
  imageSize: 32,
  epochs: 3,
  batchSize: 8,
  lr: 0.01,
  seed: 7,
});

async function run(config: RunConfigInput, extra: Partial<TrainRunOptions> = {}): Promise<{ events: RunEvent[]; result: RunReport | WorkbenchError }> {
  const events: RunEvent[] = [];
  const result = await trainRun({ config: resolveRunConfig(config), runsRoot: path.join(work, 'runs'), batchEventInterval: 0, onEvent: (e) => events.push(e), ...extra }).catch(
    (e: unknown) => e as WorkbenchError,
  );
  return { events, result };
}

describe('validation, test and skipped files', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-splits-'));
    await writeColourSplit(path.join(work, 'train'), 10, 1);
    await writeColourSplit(path.join(work, 'test'), 4, 2);
    // A download cut short: a PNG header that promises pixels the file does not hold.
    const whole = await readFile(path.join(work, 'train', 'red', '0.png'));
    await writeFile(path.join(work, 'train', 'red', 'cut.png'), whole.subarray(0, Math.floor(whole.length / 2)));
    await writeColourSplit(path.join(work, 'lonely'), 1, 3);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('chooses the epoch on validation, scores the test folder once, names each figure and reports the truncated file', async () => {
    const { events, result } = await run(defaults());
    expect(result).not.toBeInstanceOf(Error);
    const report = result as RunReport;
    for (const e of events) expect(RUN_EVENT_SCHEMAS[e.event].safeParse(e.payload).success, e.event).toBe(true);

    // Every epoch is evaluated on validation; the test folder exactly once, after the last epoch, on the kept epoch.
    const evaluations = events.filter((e) => e.event === 'run.evaluation').map((e) => e.payload as { split: string; epoch: number; confusionMatrix: { matrix: number[][] } });
    expect(evaluations.map((e) => e.split)).toEqual(['validation', 'validation', 'validation', 'test']);
    const testEvaluation = evaluations.at(-1)!;
    expect(testEvaluation.epoch).toBe(report.bestEpoch);
    expect(testEvaluation.confusionMatrix.matrix.flat().reduce((a, b) => a + b, 0)).toBe(12);
    expect(events.findIndex((e) => e.event === 'run.evaluation' && e.payload.split === 'test')).toBeGreaterThan(events.findLastIndex((e) => e.event === 'run.epoch'));

    expect(report.selectEpoch).toBe('validation');
    // The kept epoch has the best validation accuracy (ties go to the lower validation loss).
    for (const h of report.history) expect(h.valAccuracy!).toBeLessThanOrEqual(report.history[report.bestEpoch - 1]!.valAccuracy!);
    expect(report.validationAccuracy).toBe(report.history[report.bestEpoch - 1]!.valAccuracy);
    expect(report.lastEpochValidationAccuracy).toBe(report.history.at(-1)!.valAccuracy);
    expect(report.testAccuracy).toBe(report.test!.accuracy);
    expect(report.evalSplit).toBe('test');
    // 10 images a class + the truncated one; 20 % of each class (2) held out for validation.
    expect(report.images).toEqual({ train: 24, validation: 6, test: 12 });
    // Three classes: top-2 is the only informative k.
    expect(report.test!.topK?.k).toBe(2);

    const cut = path.join(work, 'train', 'red', 'cut.png');
    expect(report.skipped).toEqual([expect.objectContaining({ path: cut, reason: 'truncated', folder: 'train' })]);
    const skippedEvents = events.filter((e) => e.event === 'run.skipped');
    expect(skippedEvents.flatMap((e) => e.payload.files.map((f) => f.path))).toEqual([cut]);
    const saved = JSON.parse(await readFile(path.join(report.folder, 'report.json'), 'utf8')) as RunReport;
    expect(saved.skipped.map((f) => f.path)).toEqual([cut]);
    expect(saved).toMatchObject({ validationAccuracy: report.validationAccuracy, testAccuracy: report.testAccuracy, lastEpochValidationAccuracy: report.lastEpochValidationAccuracy });
    expect(events.at(-1)).toMatchObject({ event: 'run.finished', payload: { testAccuracy: report.testAccuracy, validationAccuracy: report.validationAccuracy, skippedFiles: 1, trainImages: 24 } });
    expect((await readTestPredictions(report.folder))?.files).toHaveLength(12);
  }, 300_000);

  it('keeps the last epoch when asked, and refuses a zero validation split without that choice', async () => {
    const { result } = await run({ ...defaults(), epochs: 2, valSplit: 0, selectEpoch: 'last' });
    const report = result as RunReport;
    expect(report).toMatchObject({ selectEpoch: 'last', bestEpoch: 2, validationAccuracy: null, lastEpochValidationAccuracy: null });
    expect(report.images.validation).toBe(0);
    expect(report.testAccuracy).toBe(report.evaluation.accuracy);
    expect(() => resolveRunConfig({ ...defaults(), valSplit: 0 })).toThrow(/selectEpoch 'last'/);
    expect(() => resolveRunConfig({ ...defaults(), testDir: undefined, valSplit: 0, selectEpoch: 'last' })).toThrow(/test folder/);
  }, 300_000);

  it('refuses a validation split that cannot hold an image of each class, before any work', async () => {
    const folder = path.join(work, 'never');
    const { events, result } = await run({ ...defaults(), trainDir: path.join(work, 'lonely'), testDir: undefined }, { outFolder: folder });
    expect(result).toBeInstanceOf(WorkbenchError);
    expect((result as WorkbenchError).code).toBe('BAD_INPUT');
    expect((result as Error).message).toMatch(/single usable image.*blue, green, red/);
    expect(events.some((e) => e.event === 'run.started')).toBe(false);
    expect(existsSync(folder)).toBe(false);
  });

  it('computes features again on resume when the folders changed since the run started', async () => {
    const folder = path.join(work, 'changing');
    const controller = new AbortController();
    const first = await run(
      { ...defaults(), testDir: undefined, epochs: 3 },
      { outFolder: folder, signal: controller.signal, onEvent: (e) => e.event === 'run.epoch' && controller.abort() },
    );
    expect((first.result as WorkbenchError).code).toBe('CANCELLED');
    await writeFile(path.join(work, 'train', 'blue', 'extra.png'), await readFile(path.join(work, 'train', 'blue', '1.png')));
    try {
      const resumed = await run(defaults(), { resume: folder });
      expect(resumed.result).not.toBeInstanceOf(Error);
      expect((resumed.result as RunReport).notices.join(' ')).toMatch(/changed since the run started/);
      expect(resumed.events.some((e) => e.event === 'run.progress' && e.payload.phase === 'features')).toBe(true);
    } finally {
      await rm(path.join(work, 'train', 'blue', 'extra.png'));
    }
  }, 300_000);
});
