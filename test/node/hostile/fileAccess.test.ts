/**
 * The file-access rule, case by case: regular files only, links resolved and confined, tfjs manifest
 * paths kept in the model folder, class-folder links at the train root followed only where the caller
 * may read, the desktop app limited to what the user chose, thumbnails only of decodable images.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../../src-main/common/contract';
import { WorkbenchError } from '../../../src-main/common/errors';
import { readFileLimited } from '../../../src-main/node/dataset/checkImageFile';
import { decodeImage } from '../../../src-main/node/dataset/decode';
import { DECODING, metadataToStrings, type ExportMetadata } from '../../../src-main/node/export/exportMetadata';
import { readTfjsModel } from '../../../src-main/node/export/tfjsExport';
import { readRegularFile } from '../../../src-main/node/io/regularFile';
import { dataRootsPolicy, resolveDataRoots } from '../../../src-main/node/server/dataRoots';
import { ChosenPaths } from '../../../src-main/node/service/chosenPaths';
import { Workbench } from '../../../src-main/node/service/workbench';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rw-file-access-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<WorkbenchError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkbenchError) return error;
    throw error;
  }
  throw new Error('expected a WorkbenchError');
}

function errorOf(reply: Reply<unknown>): { code: string; message: string } {
  if (reply.ok) throw new Error(`expected an error, got ${JSON.stringify(reply.value).slice(0, 200)}`);
  return reply.error;
}

const metadata: ExportMetadata = {
  labels: ['a', 'b'],
  depth: 18,
  imageSize: 32,
  crop: 0.875,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  mode: 'linear',
  sourceWeights: 'none',
  sourceWeightsSha256: null,
  appVersion: '0.0.0',
  runId: 'r',
  datasetFingerprint: 'f',
  metrics: { accuracy: null, evalSplit: null, bestEpoch: null, epochsRun: null },
  decoding: DECODING,
};

async function tfjsFolder(name: string, paths: string[]): Promise<string> {
  const folder = path.join(root, name);
  await mkdir(folder, { recursive: true });
  const json = { modelTopology: {}, format: 'layers-model', weightsManifest: [{ paths, weights: [] }], userDefinedMetadata: metadataToStrings(metadata) };
  await writeFile(path.join(folder, 'model.json'), JSON.stringify(json));
  return folder;
}

describe('regular files only, size-capped before reading', () => {
  it.skipIf(process.platform === 'win32')('refuses devices, FIFOs and links to them without reading', async () => {
    const fifo = path.join(root, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const link = path.join(root, 'urandom-link.png');
    await symlink('/dev/urandom', link);
    for (const [file, kind] of [[fifo, 'a named pipe'], [link, 'a device'], ['/dev/zero', 'a device']] as const) {
      const error = await failure(readRegularFile(file, { maxBytes: 1024, what: 'The file' }));
      expect(error.code).toBe('BAD_INPUT');
      expect(error.message).toContain(`is ${kind}`);
    }
    // Image files as the dataset reads them: the same rule, reported as an issue.
    expect(await readFileLimited(link, 1024)).toMatchObject({ ok: false, issue: { reason: 'unreadable', detail: expect.stringContaining('not a regular file') } });
    expect(await readFileLimited(fifo, 1024)).toMatchObject({ ok: false, issue: { reason: 'unreadable' } });
    // An image given to predict (decodeImage): /dev/urandom used to be read until memory ran out.
    await expect(decodeImage('/dev/urandom')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('is a device') });
  });

  it('refuses a file over the cap by its size, before reading it', async () => {
    const big = path.join(root, 'big.bin');
    await writeFile(big, Buffer.alloc(2048));
    const error = await failure(readRegularFile(big, { maxBytes: 1024, what: 'The file' }));
    expect(error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('2048 bytes, more than the 1024') });
  });
});

describe('tfjs weight manifests stay inside the model folder', () => {
  it.each([
    ['parent-escape', ['../../../../../../etc/passwd']],
    ['absolute', ['/etc/passwd']],
    ['dev-zero', ['../../../../../../dev/zero']],
  ])('%s paths are refused, not read', async (name, paths) => {
    const folder = await tfjsFolder(name, paths);
    const error = await failure(readTfjsModel(folder));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toMatch(/outside the model's folder/);
  });

  it('refuses a shard that is a link out of the folder', async () => {
    const folder = await tfjsFolder('linked-shard', ['weights.bin']);
    await symlink('/etc/passwd', path.join(folder, 'weights.bin'));
    const error = await failure(readTfjsModel(folder));
    expect(error.message).toMatch(/outside the model's folder/);
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO shard inside the folder instead of hanging', async () => {
    const folder = await tfjsFolder('fifo-shard', ['weights.bin']);
    execFileSync('mkfifo', [path.join(folder, 'weights.bin')]);
    const error = await failure(readTfjsModel(folder));
    expect(error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('named pipe') });
  });
});

describe('browser mode: the data roots', () => {
  let data: string;
  let workbench: Workbench;
  beforeAll(async () => {
    data = path.join(root, 'browser-data');
    const train = path.join(data, 'train');
    await mkdir(path.join(train, 'red'), { recursive: true });
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toFile(path.join(train, 'red', 'a.png'));
    // A class folder that is a link to /etc: followed before, listing 341 files of /etc as a class.
    await symlink('/etc', path.join(train, 'etc'));
    const weights = path.join(root, 'browser-weights');
    const roots = await resolveDataRoots([data], path.join(root, 'browser-runs'), [weights]);
    workbench = new Workbench({ runsRoot: roots.runsRoot, weights: { folder: weights }, pathPolicy: dataRootsPolicy(roots), browseRoots: () => roots.browseRoots });
  });

  it('does not follow a class-folder link at the train root out of the data roots', async () => {
    const reply = await workbench.dispatch('dataset.scan', { train: path.join(data, 'train') });
    if (!reply.ok) throw new Error(reply.error.message);
    expect(reply.value.classes.map((c) => c.name)).toEqual(['red']);
    expect(JSON.stringify(reply.value)).toMatch(/symlink-escapes-class/);
    expect(JSON.stringify(reply.value)).not.toMatch(/passwd/);
  });

  it('refuses a run whose train folder links a class out of the data roots', async () => {
    const reply = await workbench.dispatch('runs.start', { config: { trainDir: path.join(data, 'train'), weights: 'none', epochs: 1 } });
    expect(errorOf(reply)).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('linked to /etc') });
  });

  it('does not list the weights folder, which it may only read', async () => {
    const reply = await workbench.dispatch('files.browse', { path: path.join(root, 'browser-weights') });
    expect(errorOf(reply)).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('outside the folders') });
  });

  it('makes no thumbnail of SVG or libvips .v files, which no other path reads', async () => {
    const svg = path.join(data, 'train', 'red', 'b.png');
    await writeFile(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    // libvips' own format, chosen by the .v extension, then renamed to look like a PNG.
    const vips = path.join(data, 'train', 'red', 'c.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).toFile(`${vips}.v`);
    await rename(`${vips}.v`, vips);
    expect((await sharp(vips).metadata()).format).toBe('vips');
    const reply = await workbench.dispatch('images.thumbnails', { paths: [path.join(data, 'train', 'red', 'a.png'), svg, vips], size: 16 });
    if (!reply.ok) throw new Error(reply.error.message);
    const [png, fromSvg, fromVips] = reply.value.thumbnails;
    expect(png).toHaveProperty('dataUrl');
    expect(fromSvg).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringContaining('SVG') } });
    expect(fromVips).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringContaining('unknown content') } });
  });
});

describe('desktop: only what the user chose in a dialog, and the app data folder', () => {
  let appData: string;
  let chosenFolder: string;
  let chosen: ChosenPaths;
  let workbench: Workbench;
  beforeAll(async () => {
    appData = path.join(root, 'app-data');
    chosenFolder = path.join(root, 'chosen');
    await mkdir(path.join(chosenFolder, 'red'), { recursive: true });
    await mkdir(appData, { recursive: true });
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toFile(path.join(chosenFolder, 'red', 'a.png'));
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toFile(path.join(root, 'not-chosen.png'));
    await symlink(path.join(root, 'not-chosen.png'), path.join(chosenFolder, 'red', 'escape.png'));
    chosen = new ChosenPaths(appData);
    await chosen.add([chosenFolder]);
    workbench = new Workbench({ runsRoot: path.join(appData, 'runs'), weights: { folder: path.join(appData, 'weights') }, pathPolicy: chosen.policy(), browseRoots: () => [appData] });
  });

  it('refuses to browse /etc', async () => {
    expect(errorOf(await workbench.dispatch('files.browse', { path: '/etc' }))).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('not chosen in a dialog') });
  });

  it('makes thumbnails inside a chosen folder, but not of a file it did not choose, nor through a link out', async () => {
    const reply = await workbench.dispatch('images.thumbnails', {
      paths: [path.join(chosenFolder, 'red', 'a.png'), path.join(root, 'not-chosen.png'), path.join(chosenFolder, 'red', 'escape.png')],
      size: 16,
    });
    if (!reply.ok) throw new Error(reply.error.message);
    const [inside, outside, link] = reply.value.thumbnails;
    expect(inside).toHaveProperty('dataUrl');
    expect(outside).toMatchObject({ error: { code: 'BAD_INPUT' } });
    expect(link).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringContaining('which leads to') } });
  });

  it('refuses an export over a file the user never chose, leaving it untouched', async () => {
    const victim = path.join(root, 'unrelated.txt');
    await writeFile(victim, 'keep me');
    const reply = await workbench.dispatch('models.export', { runId: 'r-1', format: 'safetensors', out: victim, force: true });
    expect(errorOf(reply)).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('not chosen in a dialog') });
    expect(await readFile(victim, 'utf8')).toBe('keep me');
  });

  it('keeps choices across sessions, by real path', async () => {
    const again = new ChosenPaths(appData);
    await expect(again.policy()(path.join(chosenFolder, 'red', 'a.png'), 'read')).resolves.toBeUndefined();
    await expect(again.policy()(path.join(appData, 'runs', 'x'), 'write')).resolves.toBeUndefined();
    await expect(again.policy()('/etc/passwd', 'read')).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
