import { relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFaultyDataset, makeTempDir, removeDir, snapshotTree, type FaultyDataset } from '../dataset/imageFixtures';
import { runCliInProcess } from '../../support/runCliInProcess';

const run = runCliInProcess;

interface ScanSummary {
  root: string;
  images: number;
  classes: { name: string; index: number; images: number; unusable: number }[];
  issues: { path: string; reason: string; detail: string }[];
  warnings: { path: string; reason: string }[];
  imbalance: { ratio: number } | null;
  test: { root: string; classes: { name: string; images: number }[] } | null;
  classesInOneSplit: { trainOnly: string[]; testOnly: string[] } | null;
  sharedImages: { sha256: string; train: string[]; test: string[] }[] | null;
}

describe('resnet-workbench scan', () => {
  let base: string;
  let data: FaultyDataset;
  let before: Map<string, string>;

  beforeAll(async () => {
    base = await makeTempDir();
    data = await buildFaultyDataset(base);
    before = await snapshotTree(base);
  });
  afterAll(async () => removeDir(base));

  it('--json prints the summary object last: classes, issues, imbalance, one-split classes, shared images', async () => {
    const r = await run('scan', data.train, '--test', data.test, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // Events first (each with an event field), the summary object last.
    for (const event of lines.slice(0, -1)) expect(event.event).toBe('progress');
    const summary = lines.at(-1) as unknown as ScanSummary;
    expect(summary).not.toHaveProperty('event');
    expect(summary.root).toBe(data.train);
    expect(summary.images).toBe(12);
    expect(summary.classes.map((c) => [c.name, c.images])).toEqual(Object.entries(data.expectedTrainCounts));
    expect(Object.fromEntries(summary.issues.map((i) => [relative(data.train, i.path), i.reason]))).toEqual(data.expectedTrainIssues);
    expect(summary.imbalance?.ratio).toBe(5);
    expect(summary.test?.classes.map((c) => [c.name, c.images])).toEqual(Object.entries(data.expectedTestCounts));
    expect(summary.classesInOneSplit).toEqual({ trainOnly: ['empty'], testOnly: ['bird'] });
    expect(summary.sharedImages?.map((s) => [s.train.map((p) => relative(data.train, p)), s.test.map((p) => relative(data.test, p))])).toEqual([
      [['cat/good.jpg'], ['cat/renamed copy.jpg']],
    ]);
    expect(await snapshotTree(base)).toEqual(before);
  });

  it('without --test the split fields are null', async () => {
    const r = await run('scan', data.test, '--json');
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as ScanSummary;
    expect(summary.test).toBeNull();
    expect(summary.classesInOneSplit).toBeNull();
    expect(summary.sharedImages).toBeNull();
    expect(summary.issues).toEqual([]);
  });

  it('human output: a table per class and the issues grouped by reason', async () => {
    const r = await run('scan', data.train, '--test', data.test);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^class\s+index\s+images\s+unusable$/m);
    expect(r.stdout).toMatch(/^cat\s+0\s+10\s+7$/m);
    expect(r.stdout).toMatch(/^bird\s+0\s+1\s+0$/m);
    expect(r.stdout).toMatch(/^ {2}Cut-off images \(the file ends early\) \(2\): Left out\. They were probably copied or downloaded only in part: copy them again\.$/m);
    expect(r.stdout).toMatch(/^ {4}cat\/truncated\.jpg: /m);
    expect(r.stdout).toMatch(/^ {2}Links that point outside their class folder \(1\): Not followed\./m);
    expect(r.stdout).toContain('classes only in test: bird');
    expect(r.stdout).toContain('cat/good.jpg  =  cat/renamed copy.jpg');
    expect(await snapshotTree(base)).toEqual(before);
  });

  it('a missing folder fails with NOT_FOUND and exit code 1', async () => {
    const r = await run('scan', `${base}/does-not-exist`, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
