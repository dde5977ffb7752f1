/**
 * A run handed to PyTorch and brought back: the exported job (resources/job/train.py) runs under
 * torchrun with two CPU processes (gloo) on the bundled sample at 32 px, is imported as a run, and
 * its test accuracy is what `predict --model` computes from its checkpoint on the same images. Then
 * the same configuration trained by the workbench and by the job (one process, fixed seed, no
 * augmentation, linear mode) must end within one accuracy point.
 *
 * Needs Debian's python3-torch and python3-torchvision at /usr/bin/python3, as every reference test.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig, type RunConfigInput } from '../../src-main/common/runConfig';
import { exportJob } from '../../src-main/node/job/exportJob';
import { importJob } from '../../src-main/node/job/importJob';
import { Workbench } from '../../src-main/node/service/workbench';
import { trainRun } from '../../src-main/node/train/trainer';
import { jsonLines, runCliInProcess } from '../support/runCliInProcess';

const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLE = path.join(ROOT, 'resources/sample-fashion');

const base: RunConfigInput = {
  trainDir: path.join(SAMPLE, 'train'),
  testDir: path.join(SAMPLE, 'test'),
  weights: 'none',
  imageSize: 32,
  epochs: 2,
  batchSize: 16,
  lr: 0.01,
  seed: 3,
};

/** One thread per process: two processes share this machine's cores. */
const env = { ...process.env, OMP_NUM_THREADS: '1', PYTHONUNBUFFERED: '1' };

async function runPython(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(PYTHON, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${PYTHON} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

let work: string;
beforeAll(async () => {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, torchvision, torch.distributed.run'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${PYTHON} cannot import torch and torchvision: install Debian's python3-torch python3-torchvision (see DEVELOPERS.md).`);
  }
  work = await mkdtemp(path.join(tmpdir(), 'job-reference-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a run as a torchrun job', () => {
  it('trains on two CPU processes (gloo), imports, and its test accuracy is what predict computes from its checkpoint', async () => {
    const job = await exportJob({ config: { ...base, augment: true }, out: path.join(work, 'ddp-job') });
    // torch.distributed.run is torchrun. `--redirects 1 --tee 1` only work around Debian's torch 1.13
    // on Python 3.11, whose default redirect setting ("0") fails to parse; newer torch needs neither.
    await runPython(['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', 'train.py', '--workers', '0'], job.folder);

    const runsRoot = path.join(work, 'runs');
    const imported = await importJob(job.folder, { runsRoot });
    expect(imported.epochsRun).toBe(2);
    const started = JSON.parse((await readFile(path.join(imported.folder, 'metrics.jsonl'), 'utf8')).split('\n')[0] as string) as { backend: string };
    expect(started.backend).toContain('x2');

    // predict --model on the imported run's checkpoint, over the same test images.
    const predicted = await runCliInProcess('predict', '--model', imported.folder, '--json', '--top-k', '1', path.join(SAMPLE, 'test'));
    expect(predicted.code, predicted.stderr).toBe(0);
    const rows = jsonLines(predicted.stdout).filter((line) => 'top' in line) as { file: string; top: { label: string }[] }[];
    const correct = rows.filter((row) => row.top[0]?.label === path.basename(path.dirname(row.file))).length;
    expect(rows.length).toBe(job.images.test);
    console.log(`job on 2 processes: test accuracy ${imported.testAccuracy}; predict --model on its checkpoint: ${correct / rows.length}`);
    expect(correct / rows.length).toBe(imported.testAccuracy);

    // Image by image, too: the job's per-image test results are the workbench's predictions.
    const testResults = JSON.parse(await readFile(path.join(imported.folder, 'predictions/test.json'), 'utf8')) as { files: string[]; labels: string[]; predicted: number[] };
    const byFile = new Map(rows.map((row) => [row.file, row.top[0]?.label]));
    testResults.files.forEach((file, i) => expect(byFile.get(file), file).toBe(testResults.labels[testResults.predicted[i] as number]));

    // The screens' calls work on it: history, the run itself, a confusion-matrix cell's images.
    const workbench = new Workbench({ runsRoot });
    const list = await workbench.dispatch('runs.list', undefined);
    expect(list.ok && list.value.runs.find((r) => r.runId === imported.runId)?.status).toBe('finished');
    const got = await workbench.dispatch('runs.get', { runId: imported.runId });
    expect(got.ok && got.value.events.filter((e) => e.event === 'run.epoch').length).toBe(2);
    const cell = await workbench.dispatch('runs.images', { runId: imported.runId, actual: 0, predicted: 0 });
    expect(cell.ok, JSON.stringify(cell)).toBe(true);
  });

  it('ends within one accuracy point of the workbench on the same configuration (one process, fixed seed, no augmentation, linear)', async () => {
    const config: RunConfigInput = { ...base, augment: false, mode: 'linear' };
    const workbenchRun = await trainRun({ config: resolveRunConfig(config), runsRoot: path.join(work, 'workbench-runs'), batchEventInterval: 0 });
    const job = await exportJob({ config, out: path.join(work, 'one-process-job') });
    await runPython(['train.py', '--workers', '0'], job.folder);
    const report = JSON.parse(await readFile(path.join(job.folder, 'run/report.json'), 'utf8')) as { testAccuracy: number };
    console.log(`test accuracy: workbench ${workbenchRun.testAccuracy}, job ${report.testAccuracy}`);
    expect(Math.abs(report.testAccuracy - (workbenchRun.testAccuracy as number))).toBeLessThanOrEqual(0.01);
  });
});
