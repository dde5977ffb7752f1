/**
 * A small finished run made by the trainer itself: three noisy colours, ResNet-18 from seeded random
 * weights at 32 px, a few epochs of the linear head. Fast on wasm, and a real run folder.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { resolveRunConfig, type RunConfigInput } from '../../../src-main/common/runConfig';
import { trainRun, type RunReport } from '../../../src-main/node/train/trainer';
import { writeColourSplit } from '../../support/colourDataset';

export async function makeTinyRun(work: string, overrides: Partial<RunConfigInput> = {}): Promise<RunReport> {
  await writeColourSplit(path.join(work, 'train'), 6, 1);
  await writeColourSplit(path.join(work, 'test'), 4, 2);
  return trainRun({
    config: resolveRunConfig({
      trainDir: path.join(work, 'train'),
      testDir: path.join(work, 'test'),
      weights: 'none',
      imageSize: 32,
      epochs: 3,
      batchSize: 8,
      lr: 0.01,
      augment: false,
      seed: 5,
      ...overrides,
    }),
    runsRoot: path.join(work, 'runs'),
    batchEventInterval: 0,
  });
}

/** The test folder's images, sorted. */
export async function testImages(work: string): Promise<string[]> {
  const root = path.join(work, 'test');
  const files: string[] = [];
  for (const cls of (await readdir(root)).sort()) for (const f of (await readdir(path.join(root, cls))).sort()) files.push(path.join(root, cls, f));
  return files;
}
