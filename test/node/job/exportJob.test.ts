import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig, type RunConfigInput } from '../../../src-main/common/runConfig';
import { PYTHON_LOAD_RGB, SAFETENSORS_LOADER } from '../../../src-main/node/export/modelCard';
import { exportJob, type ExportJobResult } from '../../../src-main/node/job/exportJob';
import { JOB_FORMAT, type JobConfig, type JobSplit } from '../../../src-main/node/job/jobFormat';
import { scanImageFolder } from '../../../src-main/node/dataset/scanImageFolder';
import { prepareRunData } from '../../../src-main/node/train/dataSplit';
import { runCliInProcess } from '../../support/runCliInProcess';
import { writeColourSplit } from '../../support/colourDataset';

const TEMPLATES = fileURLToPath(new URL('../../../resources/job/', import.meta.url));

let work: string;
let config: RunConfigInput;
let first: ExportJobResult;

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: string; message: string } | undefined;
  if (!error) throw new Error('expected a refusal');
  return error;
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'rw-job-export-'));
  await writeColourSplit(path.join(work, 'train'), 6, 1);
  await writeColourSplit(path.join(work, 'test'), 3, 2);
  config = { trainDir: path.join(work, 'train'), testDir: path.join(work, 'test'), weights: 'none', imageSize: 32, epochs: 3, batchSize: 4, augment: false, seed: 7, valSplit: 0.34 };
  first = await exportJob({ config, out: path.join(work, 'job') });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('exportJob', () => {
  it('writes the fixed files, the config, the splits and the starting weights, and nothing else', async () => {
    const folder = path.join(work, 'job');
    expect((await readdir(folder)).sort()).toEqual(['README.md', 'config.json', 'launch.sh', 'requirements.txt', 'split.json', 'train.py', 'weights']);
    expect(first.files.sort()).toEqual(['README.md', 'config.json', 'launch.sh', 'requirements.txt', 'split.json', 'train.py', 'weights/random-init.safetensors']);
    for (const name of ['train.py', 'launch.sh', 'requirements.txt', 'README.md']) {
      expect(await readFile(path.join(folder, name), 'utf8')).toBe(await readFile(path.join(TEMPLATES, name), 'utf8'));
    }
    expect((await stat(path.join(folder, 'launch.sh'))).mode & 0o100).toBe(0o100);
    // No temp folder left beside it.
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('config.json holds the resolved configuration, the classes and the starting weights with their checksum', async () => {
    const job = JSON.parse(await readFile(path.join(work, 'job', 'config.json'), 'utf8')) as JobConfig;
    expect(job.format).toBe(JOB_FORMAT);
    expect(job.id).toBe(first.id);
    expect(job.config).toEqual(resolveRunConfig(config));
    expect(job.facts.classes).toEqual(['blue', 'green', 'red']);
    expect(job.facts.weightsSource).toBe('none');
    expect(job.weights.file).toBe('weights/random-init.safetensors');
    expect(job.weights.sha256).toBe(await sha256(path.join(work, 'job', job.weights.file)));
    expect(job.facts.weightsSha256).toBe(job.weights.sha256);
  });

  it('split.json is the workbench split: class order, validation hold-out, test images, paths relative to their folders', async () => {
    const split = JSON.parse(await readFile(path.join(work, 'job', 'split.json'), 'utf8')) as JobSplit;
    const data = prepareRunData(await scanImageFolder(config.trainDir, { verifyPixels: false }), await scanImageFolder(config.testDir as string, { verifyPixels: false }), resolveRunConfig(config));
    const relative = (root: string) => (i: { path: string; label: number }) => [root, path.relative(path.join(work, root), i.path), i.label];
    expect(split.classes).toEqual(data.classes);
    expect(split.train).toEqual(data.train.map(relative('train')));
    expect(split.validation).toEqual(data.validation.map(relative('train')));
    expect(split.test).toEqual((data.test ?? []).map(relative('test')));
    expect(split.validation.length).toBeGreaterThan(0);
    expect(first.images).toEqual({ train: split.train.length, validation: split.validation.length, test: 9 });
  });

  it('train.py decodes and reads safetensors with the very code the model card gives users', async () => {
    const script = await readFile(path.join(TEMPLATES, 'train.py'), 'utf8');
    expect(script).toContain(PYTHON_LOAD_RGB);
    expect(script).toContain(SAFETENSORS_LOADER);
  });

  it('refuses a configuration that cannot train, neither or both sources, and a train folder that is not there', async () => {
    expect((await codeOf(exportJob({ config: { ...config, epochs: 0 }, out: path.join(work, 'bad-1') }))).code).toBe('BAD_INPUT');
    expect((await codeOf(exportJob({ out: path.join(work, 'bad-2') }))).message).toMatch(/either a run or a configuration/);
    expect((await codeOf(exportJob({ config, run: 'x', out: path.join(work, 'bad-3') }))).code).toBe('BAD_INPUT');
    await expect(exportJob({ config: { ...config, trainDir: path.join(work, 'nowhere') }, out: path.join(work, 'bad-4') })).rejects.toThrow(/nowhere/);
    expect((await readdir(work)).filter((n) => n.startsWith('bad-') || n.startsWith('.'))).toEqual([]);
  });

  it('never overwrites: a file, a folder with other things, an earlier job without force; with force only a job is replaced', async () => {
    await writeFile(path.join(work, 'a-file'), 'keep');
    expect((await codeOf(exportJob({ config, out: path.join(work, 'a-file'), force: true }))).code).toBe('ALREADY_EXISTS');
    await mkdir(path.join(work, 'other'));
    await writeFile(path.join(work, 'other', 'notes.txt'), 'keep');
    expect((await codeOf(exportJob({ config, out: path.join(work, 'other'), force: true }))).message).toMatch(/holds no job/);
    expect(await readFile(path.join(work, 'other', 'notes.txt'), 'utf8')).toBe('keep');
    expect((await codeOf(exportJob({ config, out: path.join(work, 'job') }))).message).toMatch(/already holds a job/);

    await mkdir(path.join(work, 'empty'));
    const intoEmpty = await exportJob({ config, out: path.join(work, 'empty') });
    expect(intoEmpty.folder).toBe(path.join(work, 'empty'));
    const replaced = await exportJob({ config: { ...config, epochs: 5 }, out: path.join(work, 'empty'), force: true });
    const job = JSON.parse(await readFile(path.join(work, 'empty', 'config.json'), 'utf8')) as JobConfig;
    expect(job.id).toBe(replaced.id);
    expect(job.config.epochs).toBe(5);
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('the command line: job export --config writes the job; --run and --config together is a usage error', async () => {
    const file = path.join(work, 'config-file.json');
    await writeFile(file, JSON.stringify({ config }));
    const ok = await runCliInProcess('job', 'export', '--config', file, '--out', path.join(work, 'cli-job'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Wrote the job/);
    expect((await readdir(path.join(work, 'cli-job'))).sort()).toContain('train.py');
    const both = await runCliInProcess('job', 'export', '--config', file, '--run', 'x', '--out', path.join(work, 'cli-2'));
    expect(both.code).toBe(2);
    await writeFile(path.join(work, 'broken.json'), '{ not json');
    const broken = await runCliInProcess('job', 'export', '--config', path.join(work, 'broken.json'), '--out', path.join(work, 'cli-3'));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/not valid JSON/);
  });
});
