/**
 * A run as a PyTorch job: a self-contained folder that `torchrun train.py` trains on a cluster and
 * that `importJob` brings back as a run. The folder holds
 *
 *   train.py, launch.sh, requirements.txt, README.md   fixed files from resources/job/
 *   config.json   the resolved run configuration, the run's facts and the starting weights' checksum
 *   split.json    the images of each split (train, validation, test) as the workbench splits them:
 *                 paths relative to the train and test folders, with their class index
 *   weights/      the starting weights, copied: the job runs where the workbench's weights store is not
 *
 * The folder is written beside its destination and renamed into place, so it is whole or absent.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import { resolveRunConfig, type RunConfig, type RunConfigInput } from '../../common/runConfig';
import { APP_VERSION } from '../appVersion';
import { runsFolder } from '../appPaths';
import { prepareRunData, type RunData } from '../train/dataSplit';
import { scanImageFolder, type ImageFolderScan } from '../dataset/scanImageFolder';
import { describeFailure, writeFileAtomic } from '../io/atomicWrite';
import { readRegularFile } from '../io/regularFile';
import { JOB_TEMPLATE_FOLDER } from '../jobTemplates';
import { openRunFolder } from '../train/runFolder';
import { randomResNetStateDict } from '../weights/randomInit';
import { serializeSafetensors } from '../weights/safetensors';
import { copyFileAtomic, ensureWeights, sha256OfFile, type EnsureWeightsOptions } from '../weights/weightsStore';
import { JOB_FILES, JOB_FORMAT, type JobConfig, type JobSplit } from './jobFormat';

export interface ExportJobOptions {
  /** A run (folder, or id under `runsRoot`) whose configuration the job trains. One of `run` and `config`. */
  run?: string;
  /** A run configuration (as the Train screen or a config file gives it). */
  config?: RunConfigInput;
  /** The job folder to write: must not exist, or be an empty folder, or (with `force`) an earlier job. */
  out: string;
  /** Replace a job folder already at `out` (never anything else). Default false. */
  force?: boolean;
  /** Where run ids are looked up. Default: the app data folder's runs/. */
  runsRoot?: string;
  /** Where ImageNet weights are found or downloaded to. Default: the weights store's defaults. */
  weightsOptions?: EnsureWeightsOptions;
}

export interface ExportJobResult {
  folder: string;
  id: string;
  /** The files written, relative to `folder`. */
  files: string[];
  config: RunConfig;
  images: { train: number; validation: number; test: number | null };
  /** The starting weights copied into the job. */
  weights: { file: string; source: string; sha256: string; bytes: number };
}

/** The largest config file read for `--config` (a run configuration is a few hundred bytes). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A run configuration from a JSON file: a bare configuration, or a run folder's config.json ({ config }). */
export async function readConfigFile(file: string): Promise<RunConfigInput> {
  const text = Buffer.from(await readRegularFile(file, { maxBytes: MAX_CONFIG_BYTES, what: 'The configuration file' })).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WorkbenchError('BAD_INPUT', `${file} is not valid JSON: ${(error as Error).message}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new WorkbenchError('BAD_INPUT', `${file} does not hold a run configuration (a JSON object).`);
  const record = parsed as Record<string, unknown>;
  return (typeof record.config === 'object' && record.config !== null ? record.config : record) as RunConfigInput;
}

function jobId(config: RunConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
  return `${stamp}-resnet${config.depth}-job-${randomBytes(2).toString('hex')}`;
}

async function configOf(options: ExportJobOptions): Promise<RunConfig> {
  if ((options.run === undefined) === (options.config === undefined)) throw new WorkbenchError('BAD_INPUT', 'Give either a run or a configuration to export as a job, not both or neither.');
  if (options.run !== undefined) {
    const { config, facts } = await openRunFolder(options.run, options.runsRoot ?? runsFolder());
    // A run that could not have its ImageNet weights trained from random initialisation: so does its job.
    return facts.weightsSource === 'none' ? { ...config, weights: 'none' } : config;
  }
  try {
    return resolveRunConfig(options.config as RunConfigInput);
  } catch (error) {
    throw new WorkbenchError('BAD_INPUT', `The configuration cannot be trained: ${(error as Error).message}`);
  }
}

/** The destination may be absent, an empty folder, or (with force) a job folder: never anything else. */
async function checkDestination(out: string, force: boolean): Promise<'absent' | 'empty' | 'job'> {
  const info = await stat(out).catch(() => undefined);
  if (!info) return 'absent';
  if (!info.isDirectory()) throw new WorkbenchError('ALREADY_EXISTS', `${out} is a file; choose a folder for the job.`);
  const entries = await readdir(out);
  if (entries.length === 0) return 'empty';
  const isJob = await readFile(path.join(out, JOB_FILES.config), 'utf8')
    .then((text) => (JSON.parse(text) as { format?: unknown }).format === JOB_FORMAT)
    .catch(() => false);
  if (!isJob) throw new WorkbenchError('ALREADY_EXISTS', `${out} is not empty and holds no job; choose an empty or new folder.`);
  if (!force) throw new WorkbenchError('ALREADY_EXISTS', `${out} already holds a job; choose another folder, or replace the earlier job.`);
  return 'job';
}

/** The starting weights as a file in the job: torchvision's ImageNet file, the user's checkpoint, or the seeded random initialisation. */
async function writeStartingWeights(config: RunConfig, folder: string, options: ExportJobOptions): Promise<ExportJobResult['weights']> {
  await mkdir(path.join(folder, 'weights'), { recursive: true });
  if (config.weights === 'none') {
    // The workbench's own seeded initialisation, so the job starts from the very same numbers.
    const file = 'weights/random-init.safetensors';
    await writeFileAtomic(path.join(folder, file), serializeSafetensors(randomResNetStateDict(config.depth, 1000, config.seed), { seed: String(config.seed) }));
    return { file, source: 'none', sha256: await sha256OfFile(path.join(folder, file)), bytes: (await stat(path.join(folder, file))).size };
  }
  let source: string;
  let sourceLabel: string;
  if (config.weights === 'imagenet') {
    const ensured = await ensureWeights(config.depth, config.weightsVariant, options.weightsOptions ?? {});
    source = ensured.path;
    sourceLabel = `imagenet:${ensured.weights.fileName}`;
  } else {
    source = config.weights;
    sourceLabel = config.weights;
  }
  const extension = source.endsWith('.safetensors') ? '.safetensors' : '.pth';
  const file = `weights/${path.basename(source, path.extname(source)).replace(/[^A-Za-z0-9._-]+/g, '-')}${extension}`;
  const info = await stat(source).catch(() => undefined);
  if (!info?.isFile()) throw new WorkbenchError('NOT_FOUND', `The starting weights ${source} cannot be read; the job needs a copy of them.`);
  const sha256 = await sha256OfFile(source);
  await copyFileAtomic(source, path.join(folder, file), sha256);
  return { file, source: sourceLabel, sha256, bytes: info.size };
}

function splitOf(data: RunData, train: ImageFolderScan, test: ImageFolderScan | undefined): JobSplit {
  const relative = (root: 'train' | 'test', scan: ImageFolderScan) => (image: { path: string; label: number }) => [root, path.relative(scan.root, image.path).split(path.sep).join('/'), image.label] as [string, string, number];
  return {
    classes: data.classes,
    roots: { train: train.root, test: test ? test.root : null },
    train: data.train.map(relative('train', train)),
    validation: data.validation.map(relative('train', train)),
    test: data.test && test ? data.test.map(relative('test', test)) : null,
  };
}

export async function exportJob(options: ExportJobOptions): Promise<ExportJobResult> {
  const config = await configOf(options);
  const out = path.resolve(options.out);
  const existing = await checkDestination(out, options.force === true);

  // The splits exactly as the workbench makes them (class order, stratified validation hold-out).
  const scan = (root: string): Promise<ImageFolderScan> => scanImageFolder(root, { verifyPixels: false });
  const trainScan = await scan(config.trainDir);
  const testScan = config.testDir ? await scan(config.testDir) : undefined;
  const data = prepareRunData(trainScan, testScan, config);
  const split = splitOf(data, trainScan, testScan);

  const staging = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(staging, { recursive: true });
  } catch (error) {
    throw new WorkbenchError('IO', `Cannot create the job folder beside ${out}: ${describeFailure(error)}`);
  }
  try {
    const weights = await writeStartingWeights(config, staging, options);
    const id = jobId(config);
    const job: JobConfig = {
      format: JOB_FORMAT,
      id,
      config,
      facts: { classes: data.classes, weightsSource: weights.source, weightsSha256: weights.sha256, appVersion: APP_VERSION, createdAt: new Date().toISOString() },
      split: JOB_FILES.split,
      weights: { file: weights.file, sha256: weights.sha256 },
    };
    await writeFileAtomic(path.join(staging, JOB_FILES.config), `${JSON.stringify(job, null, 2)}\n`);
    await writeFileAtomic(path.join(staging, JOB_FILES.split), JSON.stringify(split));
    for (const name of JOB_FILES.templates) {
      // Read and written rather than copied: in the packaged app the templates sit inside the asar archive.
      await writeFile(path.join(staging, name), await readFile(path.join(JOB_TEMPLATE_FOLDER, name)), { mode: name.endsWith('.md') || name.endsWith('.txt') ? 0o644 : 0o755 });
    }
    if (existing === 'absent') {
      await rename(staging, out);
    } else {
      // An empty folder or an earlier job is moved aside, then removed once the new one is in place.
      const aside = `${staging}.old`;
      await rename(out, aside);
      await rename(staging, out);
      await rm(aside, { recursive: true, force: true });
    }
    const files = [...JOB_FILES.templates, JOB_FILES.config, JOB_FILES.split, weights.file];
    return {
      folder: out,
      id,
      files,
      config,
      images: { train: split.train.length, validation: split.validation.length, test: split.test ? split.test.length : null },
      weights,
    };
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}
