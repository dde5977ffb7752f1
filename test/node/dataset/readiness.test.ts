/**
 * Readiness before Start, on real folders through the engine's own scan (dataset.scan): the messy
 * layouts a first-time user picks are blocked with what to do, and what the scan calls ready, a run
 * accepts (the run's own data checks agree).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainingReadiness, type ScanSummary } from '../../../src-main/common/readiness';
import { scanImageFolder } from '../../../src-main/node/dataset/scanImageFolder';
import { Workbench } from '../../../src-main/node/service/workbench';
import { prepareRunData } from '../../../src-main/node/train/dataSplit';

let root: string;
let workbench: Workbench;

async function image(file: string, colour: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp({ create: { width: 8, height: 8, channels: 3, background: colour } }).png().toFile(file);
}

async function classes(folder: string, counts: Record<string, number>): Promise<string> {
  for (const [name, count] of Object.entries(counts)) {
    await mkdir(path.join(folder, name), { recursive: true });
    for (let i = 0; i < count; i++) await image(path.join(folder, name, `${i}.png`), i % 2 ? '#ff0000' : '#0000ff');
  }
  return folder;
}

async function scan(train: string, test?: string): Promise<ScanSummary> {
  const reply = await workbench.dispatch('dataset.scan', test ? { train, test } : { train });
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.value;
}

/** Whether a run would accept the folder (its own checks, before any training). */
async function runAccepts(train: string, test: string | undefined, valSplit: number): Promise<boolean> {
  const trainScan = await scanImageFolder(train);
  const testScan = test ? await scanImageFolder(test) : undefined;
  try {
    prepareRunData(trainScan, testScan, { valSplit, seed: 0, selectEpoch: valSplit > 0 ? 'validation' : 'last', ...(test ? { testDir: test } : {}) });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rw-readiness-'));
  workbench = new Workbench({ runsRoot: path.join(root, 'runs'), weights: { folder: path.join(root, 'weights') } });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readiness before Start', () => {
  it('is ready on a sound train and test folder, as a run is', async () => {
    const train = await classes(path.join(root, 'sound', 'train'), { cat: 4, dog: 4 });
    const test = await classes(path.join(root, 'sound', 'test'), { cat: 2, dog: 2 });
    expect(trainingReadiness(await scan(train, test), 0.2)).toEqual({ ready: true, blockers: [], splitParent: null });
    expect(await runAccepts(train, test, 0.2)).toBe(true);
  });

  it('offers the train and test folders when the parent of a split is chosen', async () => {
    const parent = path.join(root, 'sound');
    const readiness = trainingReadiness(await scan(parent), 0.2);
    expect(readiness.ready).toBe(false);
    expect(readiness.blockers[0]).toMatch(/looks like the folder above a split: it holds "train" and "test"/);
    expect(readiness.splitParent).toEqual({ train: path.join(parent, 'train'), test: path.join(parent, 'test') });
  });

  it('blocks, with what to do, each layout a run refuses', async () => {
    const flat = path.join(root, 'flat');
    for (let i = 0; i < 3; i++) await image(path.join(flat, `${i}.png`), '#00ff00');
    const oneClass = await classes(path.join(root, 'one-class'), { cat: 5 });
    const emptyClass = await classes(path.join(root, 'empty-class'), { cat: 4, dog: 4, fox: 0 });
    const single = await classes(path.join(root, 'single'), { cat: 4, dog: 1 });
    const cases: [string, RegExp][] = [
      [flat, /has no class folders \(its 3 image\(s\) sit directly in it\): put the images in one subfolder per class/],
      [oneClass, /has one class folder \(cat\); training needs at least two classes/],
      [emptyClass, /This class folder has no usable image: fox\. Add images, or remove the folder\./],
      [single, /This class has a single image, so none can be held out for validation: dog/],
    ];
    for (const [folder, message] of cases) {
      const readiness = trainingReadiness(await scan(folder), 0.2);
      expect(readiness.ready, folder).toBe(false);
      expect(readiness.blockers.join(' '), folder).toMatch(message);
      expect(await runAccepts(folder, undefined, 0.2), folder).toBe(false);
    }
  });

  it('blocks a test folder that shares no class with the train folder', async () => {
    const train = await classes(path.join(root, 'named', 'train'), { cat: 3, dog: 3 });
    const test = await classes(path.join(root, 'named', 'test'), { Cat: 2, Dog: 2 });
    const readiness = trainingReadiness(await scan(train, test), 0.2);
    expect(readiness.blockers.join(' ')).toMatch(/has no usable image of a class the train folder has/);
    expect(await runAccepts(train, test, 0.2)).toBe(false);
  });

  it('says a file in a class folder that is not an image does not block', async () => {
    const train = await classes(path.join(root, 'messy'), { cat: 3, dog: 3 });
    await writeFile(path.join(train, 'cat', 'notes.txt'), 'not an image');
    await writeFile(path.join(train, 'dog', 'empty.png'), '');
    expect(trainingReadiness(await scan(train), 0.2).ready).toBe(true);
    expect(await runAccepts(train, undefined, 0.2)).toBe(true);
  });
});
