/**
 * The calls a UI without the engine's disk needs — files.browse, images.thumbnails, models.classify,
 * runs.images — on a real run trained in a trainer process (the way the desktop app and browser mode
 * run it: `spawnWorker`), so the per-image results are written by the trainer and read by the service.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallResult } from '../../../src-main/common/contract';
import { WorkbenchError } from '../../../src-main/common/errors';
import { forkTrainerProcess, type TrainerChannel } from '../../../src-main/node/service/trainerHost';
import { Workbench } from '../../../src-main/node/service/workbench';
import { writeColourSplit } from '../../support/colourDataset';
import { expectError, value } from '../../support/replies';

let root: string;
let train: string;
let test: string;
let workbench: Workbench;
let runId: string;
let runFolder: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'workbench-browser-calls-'));
  train = path.join(root, 'data', 'train');
  test = path.join(root, 'data', 'test');
  await writeColourSplit(train, 6, 1);
  await writeColourSplit(test, 4, 2);
  const dataRoot = path.join(root, 'data');
  workbench = new Workbench({
    runsRoot: path.join(root, 'runs'),
    browseRoots: () => [dataRoot],
    // What browser mode allows: the data folder and the runs folder.
    pathPolicy: (p) => {
      if (![dataRoot, path.join(root, 'runs')].some((r) => p === r || p.startsWith(`${r}${path.sep}`))) throw new WorkbenchError('BAD_INPUT', `${p} is outside ${dataRoot}`);
    },
    spawnWorker: () => forkTrainerProcess(),
  });
  const started = value(await workbench.dispatch('runs.start', { config: { trainDir: train, testDir: test, weights: 'none', imageSize: 32, batchSize: 8, augment: false, lr: 0.01, epochs: 3 } }));
  runId = started.runId;
  runFolder = started.folder;
  await workbench.runs.settled(runId);
}, 180_000);

afterAll(async () => {
  await workbench.close();
  await rm(root, { recursive: true, force: true });
});

describe('a run trained in a trainer process', () => {
  it('finishes, with its events and report seen by the service', async () => {
    const run = value(await workbench.dispatch('runs.get', { runId }));
    expect(run.status).toBe('finished');
    expect(run.events.filter((e) => e.event === 'run.epoch').map((e) => e.payload.epoch)).toEqual([1, 2, 3]);
    expect(run.report).toMatchObject({ testAccuracy: expect.any(Number) });
    // The trainer process computed the features on ONNX Runtime, and the run says so.
    const started = run.events.find((e) => e.event === 'run.started');
    expect(started?.payload).toMatchObject({ inference: { engine: 'onnxruntime', provider: 'cpu' } });
  });

  it('answers engine.info with the frozen-network engine a worker process found', async () => {
    const info = value(await workbench.dispatch('engine.info', undefined));
    expect(info.inference).toMatchObject({ engine: 'onnxruntime', provider: 'cpu', version: expect.stringMatching(/^1\./) });
  });

  it('keeps per-image results for the latest and the best epoch only', async () => {
    const run = value(await workbench.dispatch('runs.get', { runId }));
    const best = run.events.filter((e) => e.event === 'run.epoch' && e.payload.best).map((e) => (e.event === 'run.epoch' ? e.payload.epoch : 0)).at(-1);
    const kept = (await readdir(path.join(runFolder, 'predictions'))).sort();
    // Validation results per epoch; the test folder's, scored once, in test.json.
    expect(kept).toEqual([...new Set([`epoch-${String(best).padStart(4, '0')}.json`, 'epoch-0003.json', 'test.json'])].sort());
  });
});

describe('runs.images', () => {
  it('returns exactly the images of a confusion-matrix cell, most confident first', async () => {
    const run = value(await workbench.dispatch('runs.get', { runId }));
    // The epochs' evaluations are on validation; their per-image results back the cells.
    const last = run.events.filter((e) => e.event === 'run.evaluation' && e.payload.split === 'validation').at(-1);
    if (last?.event !== 'run.evaluation') throw new Error('no evaluation');
    const matrix = last.payload.confusionMatrix.matrix;
    let seen = 0;
    for (let a = 0; a < 3; a++) {
      for (let p = 0; p < 3; p++) {
        const cell = value(await workbench.dispatch('runs.images', { runId, actual: a, predicted: p }));
        expect(cell.epoch).toBe(3);
        expect(cell.total).toBe(matrix[a]![p]);
        expect(cell.actual).toBe(['blue', 'green', 'red'][a]);
        expect(cell.predicted).toBe(['blue', 'green', 'red'][p]);
        // Every image of the cell really is of the actual class (its folder says so).
        for (const image of cell.images) expect(path.basename(path.dirname(image.file))).toBe(cell.actual);
        const confidences = cell.images.map((i) => i.confidence);
        expect(confidences).toEqual([...confidences].sort((x, y) => y - x));
        for (const c of confidences) expect(c).toBeGreaterThan(1 / 3 - 1e-6);
        seen += cell.total;
      }
    }
    expect(seen).toBe(matrix.flat().reduce((x, y) => x + y, 0));
    expect(seen).toBeGreaterThan(0);
    // The misclassified images the event lists are the off-diagonal cells' images.
    const wrongFiles = new Set(last.payload.misclassified.map((m) => m.file));
    const offDiagonal: string[] = [];
    for (let a = 0; a < 3; a++) for (let p = 0; p < 3; p++) if (a !== p) offDiagonal.push(...value(await workbench.dispatch('runs.images', { runId, actual: a, predicted: p })).images.map((i) => i.file));
    expect(new Set(offDiagonal)).toEqual(wrongFiles);
  });

  it('limits the list but not the total, and explains epochs whose results are not kept and bad indices', async () => {
    const run = value(await workbench.dispatch('runs.get', { runId }));
    // The epochs' evaluations are on validation; their per-image results back the cells.
    const last = run.events.filter((e) => e.event === 'run.evaluation' && e.payload.split === 'validation').at(-1);
    if (last?.event !== 'run.evaluation') throw new Error('no evaluation');
    const rowTotals = last.payload.confusionMatrix.matrix.map((row) => row.reduce((a, b) => a + b, 0));
    const busiest = last.payload.confusionMatrix.matrix.flat().indexOf(Math.max(...last.payload.confusionMatrix.matrix.flat()));
    const cell = value(await workbench.dispatch('runs.images', { runId, actual: Math.floor(busiest / 3), predicted: busiest % 3, limit: 1 }));
    expect(cell.images).toHaveLength(1);
    expect(cell.total).toBeGreaterThan(0);
    // 6 train images per class, a fifth held out for validation: one per class.
    expect(rowTotals).toEqual([1, 1, 1]);

    const kept = (await readdir(path.join(runFolder, 'predictions'))).map((n) => Number(n.slice(6, 10)));
    const dropped = [1, 2, 3].find((e) => !kept.includes(e));
    if (dropped !== undefined) expectError(await workbench.dispatch('runs.images', { runId, epoch: dropped, actual: 0, predicted: 0 }), 'NOT_FOUND', 'latest and the best epoch');
    expectError(await workbench.dispatch('runs.images', { runId, actual: 3, predicted: 0 }), 'BAD_INPUT', 'out of range');
    expectError(await workbench.dispatch('runs.images', { runId: 'no-such-run', actual: 0, predicted: 0 }), 'NOT_FOUND', 'no-such-run');
    expectError(await workbench.dispatch('runs.images', { runId, actual: -1, predicted: 0 }), 'BAD_INPUT');
  });
});

describe('models.classify', () => {
  it('classifies uploaded bytes like the same files on disk, labelled with the sender’s names', async () => {
    const files = ['blue', 'green', 'red'].map((c) => path.join(test, c, '0.png'));
    const onDisk = value(await workbench.dispatch('models.predict', { model: runId, files, topK: 3 }));
    const images = await Promise.all(files.map(async (f, i) => ({ name: `upload ${i}.png`, data: (await readFile(f)).toString('base64') })));
    const uploaded = value(await workbench.dispatch('models.classify', { model: runId, images, topK: 3 }));
    expect(uploaded.labels).toEqual(onDisk.labels);
    expect(uploaded.predictions.map((p) => p.file)).toEqual(['upload 0.png', 'upload 1.png', 'upload 2.png']);
    uploaded.predictions.forEach((p, i) => {
      const expected = onDisk.predictions[i]!;
      if (!('top' in p) || !('top' in expected)) throw new Error('expected predictions');
      expect(p.top.map((t) => t.label)).toEqual(expected.top.map((t) => t.label));
      p.top.forEach((t, k) => expect(t.probability).toBeCloseTo(expected.top[k]!.probability, 6));
    });
    // Nothing the upload wrote is left behind.
    expect((await readdir(tmpdir())).filter((n) => n.startsWith('resnet-workbench-classify-'))).toEqual([]);
  });

  it('reports a file that is not an image per file, and refuses what is not base64', async () => {
    const reply = value(await workbench.dispatch('models.classify', { model: runId, images: [{ name: 'notes.txt', data: Buffer.from('hello').toString('base64') }] }));
    expect(reply.predictions).toEqual([{ file: 'notes.txt', error: expect.objectContaining({ code: expect.any(String) }) }]);
    expectError(await workbench.dispatch('models.classify', { model: runId, images: [{ name: 'x.png', data: 'not base64!' }] }), 'BAD_INPUT', 'base64');
    expectError(await workbench.dispatch('models.classify', { model: runId, images: [] }), 'BAD_INPUT');
  });
});

describe('files.browse', () => {
  it('lists the roots, then folders first and images on request, hiding hidden entries', async () => {
    const rootsReply = value(await workbench.dispatch('files.browse', {}));
    expect(rootsReply).toEqual({ path: null, parent: null, roots: [path.join(root, 'data')], entries: [{ name: path.join(root, 'data'), path: path.join(root, 'data'), kind: 'folder' }], truncated: false });

    await writeFile(path.join(train, '.DS_Store'), 'x');
    await mkdir(path.join(train, '.cache'), { recursive: true });
    await writeFile(path.join(train, 'readme.txt'), 'x');
    await writeFile(path.join(train, 'a10.png'), 'x');
    await writeFile(path.join(train, 'a9.png'), 'x');
    const folders = value(await workbench.dispatch('files.browse', { path: train }));
    expect(folders.entries.map((e) => [e.name, e.kind])).toEqual([['blue', 'folder'], ['green', 'folder'], ['red', 'folder']]);
    expect(folders.parent).toBe(path.join(root, 'data'));
    const images = value(await workbench.dispatch('files.browse', { path: train, include: 'images' }));
    expect(images.entries.map((e) => e.name)).toEqual(['blue', 'green', 'red', 'a9.png', 'a10.png']);
    const all = value(await workbench.dispatch('files.browse', { path: train, include: 'all' }));
    expect(all.entries.map((e) => e.name)).toContain('readme.txt');
    expect(value(await workbench.dispatch('files.browse', { path: path.join(root, 'data') })).parent).toBeNull();
  });

  it('refuses folders outside the roots (the path policy), missing folders and files', async () => {
    expectError(await workbench.dispatch('files.browse', { path: root }), 'BAD_INPUT', 'outside');
    expectError(await workbench.dispatch('files.browse', { path: path.join(train, 'nope') }), 'NOT_FOUND');
    expectError(await workbench.dispatch('files.browse', { path: path.join(train, 'blue', '0.png') }), 'BAD_INPUT', 'not a folder');
    expectError(await workbench.dispatch('files.browse', { path: 'relative/path' }), 'BAD_INPUT', 'absolute');
  });

  it('shows a link by what it points to', async () => {
    await symlink(path.join(test, 'red'), path.join(train, 'linked-red'));
    const listed = value(await workbench.dispatch('files.browse', { path: train }));
    expect(listed.entries.find((e) => e.name === 'linked-red')).toEqual({ name: 'linked-red', path: path.join(train, 'linked-red'), kind: 'folder' });
    await rm(path.join(train, 'linked-red'));
  });
});

describe('images.thumbnails', () => {
  it('makes JPEG previews no larger than asked, upright, with per-file errors', async () => {
    const tall = path.join(train, 'tall.png');
    await sharp({ create: { width: 40, height: 100, channels: 3, background: '#ff0000' } }).png().toFile(tall);
    const reply: CallResult<'images.thumbnails'> = value(
      await workbench.dispatch('images.thumbnails', { paths: [tall, path.join(train, 'readme.txt'), path.join(train, 'missing.png'), path.join(root, 'outside.png')], size: 50 }),
    );
    const [ok, notImage, missing, outside] = reply.thumbnails;
    if (!ok || !('dataUrl' in ok)) throw new Error('expected a thumbnail');
    expect(ok).toMatchObject({ path: tall, width: 20, height: 50 });
    const bytes = Buffer.from(ok.dataUrl.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 20, 50]);
    expect(notImage).toMatchObject({ error: { code: 'BAD_INPUT' } });
    expect(missing).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(outside).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringContaining('outside') } });
    expect(reply.thumbnails.map((t) => t.path)).toEqual([tall, path.join(train, 'readme.txt'), path.join(train, 'missing.png'), path.join(root, 'outside.png')]);
  });

  it('refuses too many paths or a silly size before reading anything', async () => {
    expectError(await workbench.dispatch('images.thumbnails', { paths: Array.from({ length: 201 }, (_, i) => `/x/${i}.png`) }), 'BAD_INPUT');
    expectError(await workbench.dispatch('images.thumbnails', { paths: ['/x.png'], size: 4096 }), 'BAD_INPUT');
  });
});

describe('a trainer process that dies', () => {
  it('ends its run as failed with the reason, and the engine starts the next run', async () => {
    const channels: TrainerChannel[] = [];
    let firstRunId = '';
    const local = new Workbench({
      runsRoot: path.join(root, 'runs-died'),
      spawnWorker: () => {
        const channel = forkTrainerProcess();
        channels.push(channel);
        return channel;
      },
    });
    const failed = new Promise<string>((resolve) => {
      local.onEvent((e) => {
        // The first run's trainer is killed (as the OOM killer would) once it is training.
        if (e.event === 'run.epoch' && e.payload.runId === firstRunId) channels[0]?.kill('SIGKILL');
        if (e.event === 'run.failed') resolve(e.payload.error.message);
      });
    });
    const config = { trainDir: train, testDir: test, weights: 'none', imageSize: 32, batchSize: 8, augment: false, epochs: 50 };
    const first = value(await local.dispatch('runs.start', { config }));
    firstRunId = first.runId;
    expect(await failed).toContain('trainer process died');
    await local.runs.settled(first.runId);
    expect(value(await local.dispatch('runs.get', { runId: first.runId })).status).toBe('failed');
    const second = value(await local.dispatch('runs.start', { config: { ...config, epochs: 1 } }));
    await local.runs.settled(second.runId);
    expect(value(await local.dispatch('runs.get', { runId: second.runId })).status).toBe('finished');
  }, 120_000);
});

describe('model calls in a worker process', () => {
  it('answer like the engine itself, and a worker that dies mid-job becomes a clear error', async () => {
    const files = ['blue', 'green'].map((c) => path.join(test, c, '0.png'));
    const inProcess = new Workbench({ runsRoot: path.join(root, 'runs') });
    const expected = value(await inProcess.dispatch('models.predict', { model: runId, files, topK: 2 }));
    expect(value(await workbench.dispatch('models.predict', { model: runId, files, topK: 2 }))).toEqual(expected);

    let killNext = true;
    const flaky = new Workbench({
      runsRoot: path.join(root, 'runs'),
      spawnWorker: () => {
        const channel = forkTrainerProcess();
        if (killNext) setTimeout(() => channel.kill('SIGKILL'), 100);
        killNext = false;
        return channel;
      },
    });
    expectError(await flaky.dispatch('models.predict', { model: runId, files, topK: 2 }), 'INTERNAL', 'worker process died');
    expect(value(await flaky.dispatch('models.predict', { model: runId, files, topK: 2 }))).toEqual(expected);
    // Errors keep their codes across the process boundary.
    await writeFile(path.join(root, 'data', 'existing.onnx'), 'an earlier export');
    expectError(await workbench.dispatch('models.export', { runId, format: 'onnx', out: path.join(root, 'data', 'existing.onnx') }), 'ALREADY_EXISTS');
  }, 120_000);
});
