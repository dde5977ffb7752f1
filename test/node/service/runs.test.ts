/**
 * The engine calls of the Workbench service on real data: a tiny colour data set scanned, trained
 * (random ResNet-18 weights, 32×32 images), watched through events, caught up with runs.get, listed,
 * cancelled, exported and asked for predictions — the way the desktop app and browser mode use it.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEventPayload, type CallResult, type RunEventRecord } from '../../../src-main/common/contract';
import { WorkbenchError } from '../../../src-main/common/errors';
import { RUN_EVENT_SCHEMAS } from '../../../src-main/common/runEvents';
import { DATA_FOLDER_ENV } from '../../../src-main/node/appPaths';
import { Workbench, type WorkbenchEvent } from '../../../src-main/node/service/workbench';
import { PRETRAINED_WEIGHTS, type PretrainedWeights } from '../../../src-main/node/weights/catalog';
import { writeColourSplit } from '../../support/colourDataset';
import { expectError, value } from '../../support/replies';
import { startHttpFixtureServer, unusedLocalPort } from '../../support/httpFixtureServer';

let root: string;
let dataFolder: string;
let train: string;
let test: string;
let savedDataEnv: string | undefined;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'workbench-runs-'));
  dataFolder = path.join(root, 'data');
  savedDataEnv = process.env[DATA_FOLDER_ENV];
  process.env[DATA_FOLDER_ENV] = dataFolder;
  train = path.join(root, 'train');
  test = path.join(root, 'test');
  await writeColourSplit(train, 6, 1);
  await writeColourSplit(test, 3, 2);
});

afterAll(async () => {
  if (savedDataEnv === undefined) delete process.env[DATA_FOLDER_ENV];
  else process.env[DATA_FOLDER_ENV] = savedDataEnv;
  await rm(root, { recursive: true, force: true });
});

const runEvents = (events: WorkbenchEvent[], runId: string): RunEventRecord[] =>
  events.filter((e): e is RunEventRecord => e.event.startsWith('run.') && (e.payload as { runId: string }).runId === runId);

const tinyRun = { trainDir: '', testDir: '', weights: 'none', imageSize: 32, batchSize: 8, augment: false, lr: 0.01 };

describe('dataset.scan', () => {
  it('reports classes, counts, issues and images shared between the splits', async () => {
    const scanTrain = path.join(root, 'scan-train');
    const scanTest = path.join(root, 'scan-test');
    await writeColourSplit(scanTrain, 3, 5);
    await writeColourSplit(scanTest, 1, 6);
    await writeFile(path.join(scanTrain, 'red', 'notes.png'), 'not an image');
    await copyFile(path.join(scanTrain, 'blue', '0.png'), path.join(scanTest, 'blue', 'copy.png'));
    await mkdir(path.join(scanTest, 'yellow'));
    await writeColourSplit(path.join(root, 'yellow-src'), 1, 7);
    await copyFile(path.join(root, 'yellow-src', 'red', '0.png'), path.join(scanTest, 'yellow', 'y.png'));

    const summary = value(await new Workbench().dispatch('dataset.scan', { train: scanTrain, test: scanTest }));
    expect(summary.classes).toEqual([
      { name: 'blue', index: 0, images: 3, unusable: 0 },
      { name: 'green', index: 1, images: 3, unusable: 0 },
      { name: 'red', index: 2, images: 3, unusable: 1 },
    ]);
    expect(summary.issues).toEqual([expect.objectContaining({ path: path.join(scanTrain, 'red', 'notes.png'), reason: 'not-an-image' })]);
    expect(summary.imbalance).toEqual({ largest: { name: 'blue', images: 3 }, smallest: { name: 'blue', images: 3 }, ratio: 1 });
    expect(summary.test?.images).toBe(5);
    expect(summary.classesInOneSplit).toEqual({ trainOnly: [], testOnly: ['yellow'] });
    expect(summary.sharedImages).toEqual([
      expect.objectContaining({ train: [path.join(scanTrain, 'blue', '0.png')], test: [path.join(scanTest, 'blue', 'copy.png')] }),
    ]);
  });

  it('refuses relative, missing and non-folder paths, and asks the path policy first', async () => {
    const workbench = new Workbench();
    expectError(await workbench.dispatch('dataset.scan', { train: 'train' }), 'BAD_INPUT', 'absolute path');
    expectError(await workbench.dispatch('dataset.scan', { train: path.join(root, 'nope') }), 'NOT_FOUND', path.join(root, 'nope'));
    expectError(await workbench.dispatch('dataset.scan', { train: path.join(train, 'red', '0.png') }), 'BAD_INPUT', 'is not a folder');
    const asked: string[] = [];
    const guarded = new Workbench({
      pathPolicy: (p, use) => {
        asked.push(`${use} ${p}`);
        if (!p.startsWith(test)) throw new WorkbenchError('BAD_INPUT', `${p} is outside the data roots`);
      },
    });
    expectError(await guarded.dispatch('dataset.scan', { train }), 'BAD_INPUT', 'outside the data roots');
    expect(asked).toEqual([`read ${train}`]);
    expect(value(await guarded.dispatch('dataset.scan', { train: test })).images).toBe(9);
  });
});

describe('runs', () => {
  const workbench = new Workbench();
  const events: WorkbenchEvent[] = [];
  workbench.onEvent((e) => events.push(e));
  let finished: CallResult<'runs.start'>;
  let duringRun: CallResult<'runs.get'> | undefined;

  it('refuse bad parameters before anything starts', async () => {
    expectError(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: path.join(root, 'missing'), testDir: test } }), 'NOT_FOUND', 'The train folder');
    expectError(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: 'train', testDir: test } }), 'BAD_INPUT', 'absolute path');
    expectError(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test, weights: path.join(root, 'no.pth') } }), 'NOT_FOUND', 'The weights file');
    expectError(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, epochs: 0 } }), 'BAD_INPUT', 'config.epochs');
    expectError(await workbench.dispatch('runs.get', { runId: 'no-such-run' }), 'NOT_FOUND', 'no-such-run');
    expectError(await workbench.dispatch('runs.get', { runId: '../etc' }), 'BAD_INPUT');
    expect(value(await workbench.dispatch('runs.cancel', { runId: 'no-such-run' }))).toEqual({ cancelled: false });
    expect(value(await workbench.dispatch('runs.list', undefined))).toEqual({ runs: [] });
    expect(events).toEqual([]);
  });

  it('start in the background, refuse a second start, and stream valid events in order', async () => {
    const started = value(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test, epochs: 3 } }));
    finished = started;
    expect(started.folder).toBe(path.join(dataFolder, 'runs', started.runId));
    expect(started.runId).toMatch(/^\d{8}-\d{6}-resnet18-[0-9a-f]{6}$/);
    // Returned at once: nothing has been trained yet.
    expect(events.some((e) => e.event === 'run.epoch')).toBe(false);

    const busy = await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test } });
    expectError(busy, 'BUSY', started.runId);
    // The running run travels as data too, so no UI reads it out of the sentence.
    expect(busy.ok === false && busy.error.runId).toBe(started.runId);
    const early = value(await workbench.dispatch('runs.get', { runId: started.runId }));
    expect(early.status).toBe('running');
    expect(early.config).toMatchObject({ trainDir: train, testDir: test, epochs: 3, depth: 18 });

    // Ask for the history while the run is mid-way (after its first epoch).
    const midway = new Promise<void>((resolve) => {
      const off = workbench.onEvent((e) => {
        if (e.event === 'run.epoch' && e.payload.epoch === 1) {
          off();
          void workbench.dispatch('runs.get', { runId: started.runId }).then((reply) => {
            duringRun = value(reply);
            resolve();
          });
        }
      });
    });
    await midway;
    await workbench.runs.settled(started.runId);

    const mine = runEvents(events, started.runId);
    expect(mine.length).toBe(events.length);
    for (const e of mine) expect(RUN_EVENT_SCHEMAS[e.event].safeParse(e.payload).success, `${e.event} matches its schema`).toBe(true);
    for (const e of mine) expect(validateEventPayload(e.event, e.payload).ok).toBe(true);
    const names = mine.map((e) => e.event);
    expect(names[0]).toBe('run.progress');
    expect(names.at(-1)).toBe('run.finished');
    expect(names.filter((n) => n === 'run.started')).toHaveLength(1);
    expect(names.indexOf('run.started')).toBeLessThan(names.indexOf('run.epoch'));
    expect(mine.filter((e) => e.event === 'run.epoch').map((e) => e.payload.epoch)).toEqual([1, 2, 3]);
    // Every epoch on validation, then the test folder once.
    expect(mine.filter((e) => e.event === 'run.evaluation').map((e) => e.payload.split)).toEqual(['validation', 'validation', 'validation', 'test']);
    const batches = mine.filter((e) => e.event === 'run.batch');
    expect(batches.length).toBeGreaterThan(0);
    for (const e of mine.filter((x) => x.event === 'run.started')) expect(e.payload).toMatchObject({ folder: started.folder, classes: ['blue', 'green', 'red'], trainImages: 15, evalImages: 12, validationImages: 3, testImages: 9, evalSplit: 'test' });
  });

  it('runs.get returns the whole history during and after the run', async () => {
    const after = value(await workbench.dispatch('runs.get', { runId: finished.runId }));
    expect(after.status).toBe('finished');
    expect(after.facts?.classes).toEqual(['blue', 'green', 'red']);
    // metrics.jsonl starts at run.started (the folder is made then); from there it is what listeners heard.
    const live = runEvents(events, finished.runId);
    expect(after.events).toEqual(live.slice(live.findIndex((e) => e.event === 'run.started')));
    expect(after.report).toMatchObject({ runId: finished.runId, classes: ['blue', 'green', 'red'], epochsRun: 3 });
    const last = live.at(-1);
    expect(last?.event === 'run.finished' && after.report?.testAccuracy).toBe(last?.event === 'run.finished' ? last.payload.testAccuracy : undefined);

    expect(duringRun?.status).toBe('running');
    expect(duringRun?.events[0]?.event).toBe('run.started');
    expect(duringRun?.events.some((e) => e.event === 'run.finished')).toBe(false);
    expect(after.events.slice(0, duringRun?.events.length)).toEqual(duringRun?.events);
  });

  it('runs.cancel stops a run, which then reads as cancelled', async () => {
    const started = value(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test, epochs: 200 } }));
    await new Promise<void>((resolve) => {
      const off = workbench.onEvent((e) => {
        if (e.event === 'run.epoch' && e.payload.runId === started.runId) {
          off();
          resolve();
        }
      });
    });
    expect(value(await workbench.dispatch('runs.cancel', { runId: started.runId }))).toEqual({ cancelled: true });
    await workbench.runs.settled(started.runId);
    expect(value(await workbench.dispatch('runs.cancel', { runId: started.runId }))).toEqual({ cancelled: false });

    const reply = value(await workbench.dispatch('runs.get', { runId: started.runId }));
    expect(reply.status).toBe('cancelled');
    expect(reply.report).toBeNull();
    const last = reply.events.at(-1);
    expect(last?.event).toBe('run.failed');
    if (last?.event === 'run.failed') expect(last.payload.error.code).toBe('CANCELLED');
    expect(reply.events.filter((e) => e.event === 'run.epoch').length).toBeLessThan(200);
    expect(runEvents(events, started.runId).at(-1)).toEqual(last);
  });

  it('a run cancelled before it has a folder still ends with run.failed, and the next start is allowed', async () => {
    const started = value(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test, epochs: 1 } }));
    expect(value(await workbench.dispatch('runs.cancel', { runId: started.runId }))).toEqual({ cancelled: true });
    await workbench.runs.settled(started.runId);
    const reply = value(await workbench.dispatch('runs.get', { runId: started.runId }));
    expect(reply.status).toBe('cancelled');
    const last = runEvents(events, started.runId).at(-1);
    expect(last).toMatchObject({ event: 'run.failed', payload: { runId: started.runId, error: { code: 'CANCELLED' } } });
    expect(await stat(path.join(started.folder, 'config.json')).catch(() => undefined)).toBeUndefined();
  });

  it('a run that fails early reads as failed with the reason, and frees the engine', async () => {
    const junk = path.join(root, 'junk-weights.pth');
    await writeFile(junk, 'not a checkpoint');
    const started = value(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test, weights: junk } }));
    await workbench.runs.settled(started.runId);
    const reply = value(await workbench.dispatch('runs.get', { runId: started.runId }));
    expect(reply.status).toBe('failed');
    expect(reply.facts).toBeNull();
    const last = runEvents(events, started.runId).at(-1);
    expect(last?.event).toBe('run.failed');
    if (last?.event === 'run.failed') expect(last.payload.error.code).toMatch(/^CHECKPOINT_/);
    expect(reply.events.at(-1)).toEqual(last);
    expect(workbench.runs.activeRunId()).toBeUndefined();
  });

  it('runs.list shows every run, newest first, with how it ended — also to a fresh engine reading the folders', async () => {
    const listed = value(await workbench.dispatch('runs.list', undefined)).runs;
    const byId = new Map(listed.map((r) => [r.runId, r]));
    const done = byId.get(finished.runId);
    expect(done).toMatchObject({ status: 'finished', depth: 18, mode: 'linear', classes: ['blue', 'green', 'red'], folder: finished.folder });
    expect(typeof done?.testAccuracy).toBe('number');
    expect(listed.map((r) => r.status).sort()).toEqual(['cancelled', 'cancelled', 'failed', 'finished']);
    expect(listed.every((r) => r.runId !== '' && r.createdAt !== '')).toBe(true);
    expect([...listed].sort((a, b) => b.createdAt.localeCompare(a.createdAt))).toEqual(listed);

    // A run whose process died: a folder with a config and some events, but no end.
    const diedId = 'died-run';
    const died = path.join(dataFolder, 'runs', diedId);
    await mkdir(died);
    const config = JSON.parse(await readFile(path.join(finished.folder, 'config.json'), 'utf8')) as { id: string };
    await writeFile(path.join(died, 'config.json'), JSON.stringify({ ...config, id: diedId }));
    const lines = (await readFile(path.join(finished.folder, 'metrics.jsonl'), 'utf8')).split('\n').slice(0, 3);
    await writeFile(path.join(died, 'metrics.jsonl'), `${lines.join('\n')}\n{"event":"run.ba`);

    const fresh = new Workbench();
    const statuses = Object.fromEntries(value(await fresh.dispatch('runs.list', undefined)).runs.map((r) => [r.runId, r.status]));
    expect(statuses[finished.runId]).toBe('finished');
    expect(statuses[diedId]).toBe('interrupted');
    // The folderless runs (cancelled early, failed early) were only ever in the first engine's memory.
    expect(Object.values(statuses).sort()).toEqual(['cancelled', 'finished', 'interrupted']);
    expect(value(await fresh.dispatch('runs.get', { runId: diedId })).status).toBe('interrupted');
  });

  it('a cancelled run is named, resumed from its checkpoint to its end, and deleted with its folder', async () => {
    const started = value(await workbench.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test, epochs: 4 } }));
    await new Promise<void>((resolve) => {
      const off = workbench.onEvent((e) => {
        if (e.event === 'run.epoch' && e.payload.runId === started.runId) {
          off();
          void workbench.dispatch('runs.cancel', { runId: started.runId }).then(() => resolve());
        }
      });
    });
    await workbench.runs.settled(started.runId);
    const stopped = value(await workbench.dispatch('runs.list', undefined)).runs.find((r) => r.runId === started.runId);
    expect(stopped).toMatchObject({ status: 'cancelled', hasCheckpoint: true, name: null, note: null });

    // Name and note: trimmed, empty clears, too long refused; a fresh engine reads them back.
    expect(value(await workbench.dispatch('runs.label', { runId: started.runId, label: { name: '  colours, small  ', note: 'lr 0.01 ' } }))).toEqual({ name: 'colours, small', note: 'lr 0.01' });
    expectError(await workbench.dispatch('runs.label', { runId: started.runId, label: { name: 'x'.repeat(81), note: null } }), 'BAD_INPUT');
    expectError(await workbench.dispatch('runs.label', { runId: 'no-such-run', label: { name: 'a', note: null } }), 'NOT_FOUND');
    expect(value(await new Workbench().dispatch('runs.list', undefined)).runs.find((r) => r.runId === started.runId)).toMatchObject({ name: 'colours, small', note: 'lr 0.01' });

    // Resume: the same id and folder, epochs after the checkpoint's, to the end; the label stays.
    const epochsBefore = value(await workbench.dispatch('runs.get', { runId: started.runId })).events.filter((e) => e.event === 'run.epoch').length;
    expect(value(await workbench.dispatch('runs.resume', { runId: started.runId }))).toEqual({ runId: started.runId, folder: started.folder });
    expectError(await workbench.dispatch('runs.delete', { runId: started.runId }), 'BUSY', 'cancel it before deleting');
    await workbench.runs.settled(started.runId);
    const resumed = value(await workbench.dispatch('runs.get', { runId: started.runId }));
    expect(resumed.status).toBe('finished');
    const epochs = resumed.events.filter((e) => e.event === 'run.epoch').map((e) => (e.event === 'run.epoch' ? e.payload.epoch : 0));
    expect(epochs.slice(epochsBefore)).toEqual([2, 3, 4].slice(epochsBefore - 1));
    expect(resumed.label).toEqual({ name: 'colours, small', note: 'lr 0.01' });
    // Each start of the run is told apart (the UI keys events by it).
    expect(resumed.events.filter((e) => e.event === 'run.started').map((e) => (e.event === 'run.started' ? (e.payload.attempt ?? 1) : 0))).toEqual([1, 2]);
    expect(resumed.events.at(-1)).toMatchObject({ event: 'run.finished', payload: { attempt: 2 } });
    expectError(await workbench.dispatch('runs.resume', { runId: started.runId }), 'BAD_INPUT', 'nothing to continue');

    // Delete: the folder goes; a link in the runs folder is never followed.
    expect(value(await workbench.dispatch('runs.delete', { runId: started.runId }))).toEqual({ deleted: true });
    expect(await stat(started.folder).catch(() => undefined)).toBeUndefined();
    expect(value(await workbench.dispatch('runs.delete', { runId: started.runId }))).toEqual({ deleted: false });
    const outside = path.join(root, 'outside-run');
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'keep.txt'), 'keep');
    await symlink(outside, path.join(dataFolder, 'runs', 'linked-run'));
    expectError(await workbench.dispatch('runs.delete', { runId: 'linked-run' }), 'BAD_INPUT', 'left alone');
    expect(await readFile(path.join(outside, 'keep.txt'), 'utf8')).toBe('keep');
    await rm(path.join(dataFolder, 'runs', 'linked-run'));
  });

  it('close() cancels the running run and waits for it', async () => {
    const other = new Workbench();
    const started = value(await other.dispatch('runs.start', { config: { ...tinyRun, trainDir: train, testDir: test, epochs: 200 } }));
    await other.close();
    expect(other.runs.activeRunId()).toBeUndefined();
    expect(value(await other.dispatch('runs.get', { runId: started.runId })).status).toBe('cancelled');
  });
});

describe('models', () => {
  const workbench = new Workbench();
  let runId: string;
  const images = (): string[] => ['blue', 'green', 'red'].map((c) => path.join(test, c, '0.png'));

  beforeAll(async () => {
    const finished = value(await workbench.dispatch('runs.list', undefined)).runs.find((r) => r.status === 'finished');
    if (!finished) throw new Error('the runs tests should have left a finished run');
    runId = finished.runId;
  });

  it('models.predict classifies files with a run, and reports unknown models and files clearly', async () => {
    const reply = value(await workbench.dispatch('models.predict', { model: runId, files: images(), topK: 2 }));
    expect(reply.labels).toEqual(['blue', 'green', 'red']);
    expect(reply.predictions.map((p) => p.file)).toEqual(images());
    for (const p of reply.predictions) {
      expect('top' in p && p.top.length).toBe(2);
      if ('top' in p) expect(p.top[0]!.probability).toBeGreaterThanOrEqual(p.top[1]!.probability);
    }
    expect(reply.predictions.map((p) => ('top' in p ? p.top[0]!.label : 'error'))).toEqual(['blue', 'green', 'red']);

    expectError(await workbench.dispatch('models.predict', { model: 'no-such-run', files: images() }), 'NOT_FOUND', 'no-such-run');
    expectError(await workbench.dispatch('models.predict', { model: 'models/x.onnx', files: images() }), 'BAD_INPUT', 'run id or an absolute path');
    expectError(await workbench.dispatch('models.predict', { model: runId, files: [path.join(test, 'none.png')] }), 'NOT_FOUND', 'none.png');
  });

  it('models.export writes the model and its card, and the export predicts like the run', async () => {
    const outFolder = path.join(root, 'exports');
    await mkdir(outFolder);
    const out = path.join(outFolder, 'colours.onnx');
    const exported = value(await workbench.dispatch('models.export', { runId, format: 'onnx', out }));
    expect(exported).toEqual({ format: 'onnx', path: out, card: `${out}.md`, cardText: await readFile(`${out}.md`, 'utf8') });
    expect((await stat(out)).size).toBeGreaterThan(1_000_000);
    expect(exported.cardText).toContain('blue');
    expectError(await workbench.dispatch('models.export', { runId, format: 'onnx', out }), 'ALREADY_EXISTS');
    expect(value(await workbench.dispatch('models.export', { runId, format: 'onnx', out, force: true })).path).toBe(out);
    expectError(await workbench.dispatch('models.export', { runId, format: 'onnx', out: path.join(root, 'nowhere', 'm.onnx') }), 'NOT_FOUND', 'nowhere');
    expectError(await workbench.dispatch('models.export', { runId: 'no-such-run', format: 'onnx', out: path.join(outFolder, 'x.onnx') }), 'NOT_FOUND');

    const fromRun = value(await workbench.dispatch('models.predict', { model: runId, files: images() }));
    const fromFile = value(await workbench.dispatch('models.predict', { model: out, files: images() }));
    expect(fromFile.labels).toEqual(fromRun.labels);
    fromFile.predictions.forEach((p, i) => {
      const q = fromRun.predictions[i]!;
      if (!('top' in p) || !('top' in q)) throw new Error('expected predictions');
      expect(p.top.map((t) => t.label)).toEqual(q.top.map((t) => t.label));
      p.top.forEach((t, k) => expect(t.probability).toBeCloseTo(q.top[k]!.probability, 4));
    });
  });
});

describe('weights', () => {
  it('weights.download fetches into the weights folder with progress events', async () => {
    const bytes = Buffer.alloc(200_000, 7);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const entry: PretrainedWeights = { ...PRETRAINED_WEIGHTS.find((w) => w.depth === 18 && w.variant === 'IMAGENET1K_V1')!, fileName: `resnet18-${sha.slice(0, 8)}.pth`, sha256Prefix: sha.slice(0, 8) };
    const server = await startHttpFixtureServer({ [`/${entry.fileName}`]: bytes }, { chunkSize: 50_000, chunkDelayMs: 5 });
    try {
      const folder = path.join(root, 'weights');
      const workbench = new Workbench({ weights: { folder, catalog: [entry], baseUrl: server.baseUrl } });
      const progress: WorkbenchEvent[] = [];
      workbench.onEvent((e) => progress.push(e));
      const reply = value(await workbench.dispatch('weights.download', { depth: 18 }));
      expect(reply).toEqual({ path: path.join(folder, entry.fileName), downloaded: true });
      expect(await readFile(reply.path)).toEqual(bytes);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)).toMatchObject({ event: 'weights.progress', payload: { depth: 18, variant: 'IMAGENET1K_V1', bytes: 200_000, total: 200_000 } });
      expect(value(await workbench.dispatch('weights.download', { depth: 18 }))).toEqual({ path: reply.path, downloaded: false });
      expectError(await workbench.dispatch('weights.download', { depth: 34 }), 'NOT_FOUND');
      expectError(await workbench.dispatch('weights.download', { depth: 19 }), 'BAD_INPUT');
      // Asked before a run starts: the same server, the same file, nothing downloaded.
      const host = new URL(server.baseUrl).host;
      expect(value(await workbench.dispatch('weights.reachable', { depth: 18 }))).toEqual({ reachable: true, host, reason: null });
      const offline = new Workbench({ weights: { folder, catalog: [entry], baseUrl: `http://127.0.0.1:${await unusedLocalPort()}` } });
      expect(value(await offline.dispatch('weights.reachable', { depth: 18 }))).toMatchObject({ reachable: false, reason: expect.stringContaining('looks offline') });
    } finally {
      await server.close();
    }
  });

  it('weights.import stores a checkpoint and refuses what is not one', async () => {
    const workbench = new Workbench({ weights: { folder: path.join(root, 'weights-import') } });
    const runId = value(await workbench.dispatch('runs.list', undefined)).runs.find((r) => r.status === 'finished')!.runId;
    const pth = path.join(root, 'exports', 'colours.pth');
    value(await workbench.dispatch('models.export', { runId, format: 'pth', out: pth }));
    const imported = value(await workbench.dispatch('weights.import', { file: pth }));
    expect(imported).toMatchObject({ kind: 'imported', source: pth, depth: 18, numClasses: 3, alreadyPresent: false, torchvisionName: null });
    expect((await stat(imported.path)).isFile()).toBe(true);
    expect(value(await workbench.dispatch('weights.import', { file: pth })).alreadyPresent).toBe(true);
    expectError(await workbench.dispatch('weights.import', { file: pth, depth: 50 }), 'CHECKPOINT_MISMATCH');
    expectError(await workbench.dispatch('weights.import', { file: path.join(root, 'none.pth') }), 'NOT_FOUND');
    expectError(await workbench.dispatch('weights.import', { file: 'colours.pth' }), 'BAD_INPUT');
    await writeFile(path.join(root, 'junk.pth'), 'junk');
    const junk = await workbench.dispatch('weights.import', { file: path.join(root, 'junk.pth') });
    expect(junk.ok).toBe(false);
    if (!junk.ok) expect(junk.error.code).toMatch(/^CHECKPOINT_/);
  });
});
