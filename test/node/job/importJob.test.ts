import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/node/engine/backend';
import { IMPORT_LIMITS, importJob } from '../../../src-main/node/job/importJob';
import { JOB_FORMAT } from '../../../src-main/node/job/jobFormat';
import { Workbench } from '../../../src-main/node/service/workbench';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { runCliInProcess } from '../../support/runCliInProcess';
import { makeTinyRun } from '../export/tinyRun';

let work: string;
let run: RunReport;
let counter = 0;

/** A job folder whose run/ is a copy of a finished run, for one test to spoil. */
async function jobCopy(): Promise<{ job: string; runDir: string; runsRoot: string }> {
  counter++;
  const job = path.join(work, `job-${counter}`);
  const runDir = path.join(job, 'run');
  await mkdir(job, { recursive: true });
  await cp(run.folder, runDir, { recursive: true });
  return { job, runDir, runsRoot: path.join(work, `runs-${counter}`) };
}

async function refusal(job: string, runsRoot: string): Promise<string> {
  const error = (await importJob(job, { runsRoot }).then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: string; message: string } | undefined;
  if (!error) throw new Error('the import was accepted');
  expect(error.code).toBe('BAD_INPUT');
  // Nothing half-imported: the runs folder has no run and no temp folder.
  expect(await readdir(runsRoot).catch(() => [])).toEqual([]);
  return error.message;
}

beforeAll(async () => {
  await initBackend({ candidates: ['wasm', 'cpu'] });
  work = await mkdtemp(path.join(tmpdir(), 'rw-job-import-'));
  run = await makeTinyRun(work, { epochs: 2 });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('importJob', () => {
  it('adds a finished job as a run the screens can open, events and report pointing at its new folder', async () => {
    const { job, runsRoot } = await jobCopy();
    const imported = await importJob(job, { runsRoot });
    expect(imported.runId).toBe(run.runId);
    expect(imported.folder).toBe(path.join(runsRoot, run.runId));
    expect(imported.testAccuracy).toBe(run.testAccuracy);
    expect(imported.files).toEqual(expect.arrayContaining(['config.json', 'metrics.jsonl', 'report.json', 'best.safetensors', 'last.safetensors', 'predictions/test.json']));
    expect(await readdir(runsRoot)).toEqual([run.runId]);
    const report = JSON.parse(await readFile(path.join(imported.folder, 'report.json'), 'utf8')) as { folder: string };
    expect(report.folder).toBe(imported.folder);

    const workbench = new Workbench({ runsRoot });
    const got = await workbench.dispatch('runs.get', { runId: run.runId });
    expect(got.ok && got.value.status).toBe('finished');
    expect(got.ok && got.value.events.find((e) => e.event === 'run.started')?.payload).toMatchObject({ folder: imported.folder });

    // Once only: a second import of the same run is refused, the first left as it was.
    const again = await importJob(job, { runsRoot }).catch((e: unknown) => e as { code: string });
    expect((again as { code: string }).code).toBe('ALREADY_EXISTS');
  });

  it('refuses an event that does not match the run event schema, naming the line', async () => {
    const { job, runDir, runsRoot } = await jobCopy();
    const lines = (await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).split('\n');
    const at = lines.findIndex((l) => l.includes('"run.epoch"'));
    lines[at] = JSON.stringify({ ...(JSON.parse(lines[at] as string) as object), trainLoss: 'low' });
    await writeFile(path.join(runDir, 'metrics.jsonl'), lines.join('\n'));
    expect(await refusal(job, runsRoot)).toMatch(new RegExp(`line ${at + 1} of metrics.jsonl \\(run.epoch\\) does not match the run event schema: trainLoss`));
  });

  it('refuses bad JSON, a report that is not a report, and an unfinished run', async () => {
    const bad = await jobCopy();
    await writeFile(path.join(bad.runDir, 'config.json'), '{"id": "x",');
    expect(await refusal(bad.job, bad.runsRoot)).toMatch(/config.json is not valid JSON/);

    const report = await jobCopy();
    await writeFile(path.join(report.runDir, 'report.json'), JSON.stringify({ classes: ['blue'] }));
    expect(await refusal(report.job, report.runsRoot)).toMatch(/report.json is not a run report/);

    const unfinished = await jobCopy();
    const lines = (await readFile(path.join(unfinished.runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
    await writeFile(path.join(unfinished.runDir, 'metrics.jsonl'), `${lines.slice(0, -1).join('\n')}\n`);
    expect(await refusal(unfinished.job, unfinished.runsRoot)).toMatch(/has not finished/);
  });

  it('says so when the job has not been run yet', async () => {
    const { job, runsRoot } = await jobCopy();
    await rm(path.join(job, 'run'), { recursive: true });
    await writeFile(path.join(job, 'config.json'), JSON.stringify({ format: JOB_FORMAT, id: 'x' }));
    expect(await refusal(job, runsRoot)).toMatch(/has not been run yet .*start it with launch.sh first/);
  });

  it('refuses a missing or broken checkpoint', async () => {
    const missing = await jobCopy();
    await rm(path.join(missing.runDir, 'best.safetensors'));
    expect(await refusal(missing.job, missing.runsRoot)).toMatch(/has no best.safetensors/);

    const broken = await jobCopy();
    await writeFile(path.join(broken.runDir, 'best.safetensors'), Buffer.alloc(64, 7));
    expect(await refusal(broken.job, broken.runsRoot)).toMatch(/best.safetensors is not a valid safetensors file/);
  });

  it('refuses a link that leads out of the folder', async () => {
    const { job, runDir, runsRoot } = await jobCopy();
    await writeFile(path.join(work, 'outside.json'), await readFile(path.join(runDir, 'report.json')));
    await rm(path.join(runDir, 'report.json'));
    await symlink(path.join(work, 'outside.json'), path.join(runDir, 'report.json'));
    expect(await refusal(job, runsRoot)).toMatch(/report.json is a link to .*outside.json, outside the job folder/);

    const linkedRun = await jobCopy();
    await rm(linkedRun.runDir, { recursive: true });
    await symlink(run.folder, linkedRun.runDir);
    expect(await refusal(linkedRun.job, linkedRun.runsRoot)).toMatch(/is a link to .*, outside the job folder/);
  });

  it('refuses a file over its size cap before reading it', async () => {
    const { job, runDir, runsRoot } = await jobCopy();
    // A sparse file: huge to stat, nothing on disk.
    await truncate(path.join(runDir, 'last.safetensors'), IMPORT_LIMITS.checkpoint + 1);
    expect(await refusal(job, runsRoot)).toMatch(new RegExp(`last.safetensors .* is ${IMPORT_LIMITS.checkpoint + 1} bytes, more than the ${IMPORT_LIMITS.checkpoint} bytes accepted`));
  });

  it('the command line: job import says what it imported, and why it refused', async () => {
    const { job, runDir } = await jobCopy();
    const env = process.env.RESNET_WORKBENCH_DATA;
    process.env.RESNET_WORKBENCH_DATA = path.join(work, 'cli-data');
    try {
      await writeFile(path.join(runDir, 'metrics.jsonl'), 'not json\n');
      const refused = await runCliInProcess('job', 'import', job);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/line 1 of metrics.jsonl is not JSON. Nothing was imported/);
      await cp(path.join(run.folder, 'metrics.jsonl'), path.join(runDir, 'metrics.jsonl'));
      const ok = await runCliInProcess('job', 'import', job);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(new RegExp(`Imported ${run.runId}`));
    } finally {
      if (env === undefined) delete process.env.RESNET_WORKBENCH_DATA;
      else process.env.RESNET_WORKBENCH_DATA = env;
    }
  });
});
