/**
 * jobs.export and jobs.import through the Workbench service, under browser mode's path policy: only
 * the data folder and the runs folder may be named.
 */
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { initBackend } from '../../../src-main/node/engine/backend';
import { Workbench } from '../../../src-main/node/service/workbench';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { expectError, value } from '../../support/replies';
import { makeTinyRun } from '../export/tinyRun';

let work: string;
let data: string;
let run: RunReport;
let workbench: Workbench;

beforeAll(async () => {
  await initBackend({ candidates: ['wasm', 'cpu'] });
  work = await mkdtemp(path.join(tmpdir(), 'rw-job-calls-'));
  // makeTinyRun writes work/train, work/test and the run under work/runs.
  run = await makeTinyRun(work, { epochs: 2 });
  data = path.join(work, 'data');
  await mkdir(data);
  const allowed = [work];
  workbench = new Workbench({
    runsRoot: path.join(work, 'imported-runs'),
    pathPolicy: (p) => {
      if (!allowed.some((r) => p === r || p.startsWith(`${r}${path.sep}`))) throw new WorkbenchError('BAD_INPUT', `${p} is outside the data folders`);
    },
  });
});
afterAll(async () => {
  await workbench.close();
  await rm(work, { recursive: true, force: true });
});

describe('jobs.export and jobs.import', () => {
  it('exports the Train screen’s settings, and refuses a destination outside the allowed folders', async () => {
    const config = { trainDir: path.join(work, 'train'), testDir: path.join(work, 'test'), weights: 'none', imageSize: 32, epochs: 2, batchSize: 8, augment: false };
    const fromConfig = value(await workbench.dispatch('jobs.export', { config, out: path.join(data, 'from-config') }));
    expect(fromConfig.files).toContain('train.py');
    expect(fromConfig.images.test).toBe(12);
    const outside = path.join(tmpdir(), `rw-job-outside-${process.pid}`);
    expectError(await workbench.dispatch('jobs.export', { config, out: outside }), 'BAD_INPUT', 'outside the data folders');
    expectError(await workbench.dispatch('jobs.export', { out: path.join(data, 'neither') }), 'BAD_INPUT');
    expectError(await workbench.dispatch('jobs.export', { config: { ...config, trainDir: '/etc' }, out: path.join(data, 'etc') }), 'BAD_INPUT', 'outside the data folders');
    expect(await readdir(data)).toEqual(['from-config']);
  });

  it('imports a finished job into the runs folder, where runs.list and runs.get find it, and exports it again by id', async () => {
    const job = path.join(data, 'finished-job');
    await mkdir(job);
    await cp(run.folder, path.join(job, 'run'), { recursive: true });
    const imported = value(await workbench.dispatch('jobs.import', { folder: job }));
    expect(imported.runId).toBe(run.runId);
    const list = value(await workbench.dispatch('runs.list', undefined));
    expect(list.runs.map((r) => r.runId)).toEqual([run.runId]);
    expect(value(await workbench.dispatch('runs.get', { runId: run.runId })).status).toBe('finished');
    expectError(await workbench.dispatch('jobs.import', { folder: '/etc' }), 'BAD_INPUT', 'outside the data folders');
    // A run in the runs folder, by id, is exported with its own settings.
    const fromRun = value(await workbench.dispatch('jobs.export', { runId: run.runId, out: path.join(data, 'from-run') }));
    expect(fromRun.images).toEqual({ train: run.images.train, validation: run.images.validation, test: run.images.test });
  });
});
