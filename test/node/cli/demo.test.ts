import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_FOLDER_ENV } from '../../../src-main/node/appPaths';
import { WEIGHTS_URL_ENV } from '../../../src-main/node/weights/weightsStore';
import { unusedLocalPort } from '../../support/httpFixtureServer';
import { runCliJson } from '../../support/runCliInProcess';

let work: string;
const saved: Record<string, string | undefined> = {};

describe('resnet-workbench demo', () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'rw-demo-'));
    for (const key of [DATA_FOLDER_ENV, WEIGHTS_URL_ENV]) saved[key] = process.env[key];
    process.env[DATA_FOLDER_ENV] = work;
    // No ImageNet weights can be had: the demo must say so and go on from random weights.
    process.env[WEIGHTS_URL_ENV] = `http://127.0.0.1:${await unusedLocalPort()}`;
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(work, { recursive: true, force: true });
  });

  it('trains on the bundled sample, reports, exports ONNX with a card, and says it had no ImageNet weights', async () => {
    const r = await runCliJson('demo', '--epochs', '2', '--image-size', '32', '--out', path.join(work, 'demo-run'), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/random weights/);
    const summary = r.lines.at(-1) as { classes: string[]; testAccuracy: number; weights: string; exported: { path: string; card: string } };
    expect(summary.classes).toEqual(['bag', 'dress', 'sneaker', 't-shirt', 'trouser']);
    expect(summary.weights).toBe('none');
    // Five classes: chance is 20%; even random features separate these well above it.
    expect(summary.testAccuracy).toBeGreaterThan(0.3);
    // Five classes: top-4 at most, never a top-5 that is 100 % by construction.
    expect((r.lines.at(-1) as { topK: { k: number } }).topK.k).toBe(4);
    expect(existsSync(summary.exported.path)).toBe(true);
    expect(existsSync(summary.exported.card)).toBe(true);
    expect(r.lines.filter((l) => l.event === 'run.epoch')).toHaveLength(2);
  }, 300_000);
});
