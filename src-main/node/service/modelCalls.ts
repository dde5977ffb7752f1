/**
 * `models.export`, `models.predict` and `models.classify`: a run's model written out, or asked about
 * images. Each call is two steps: the engine checks and resolves the caller's paths against its path
 * policy (`prepare…`), then `runModelJob` does the compute — in the engine's own process, or in a worker
 * process when the host has one, so a long prediction or export cannot stall the process serving the UI.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIdSchema, type CallParams, type CallResult, type FilePrediction } from '../../common/contract';
import { exportFileName } from '../../common/exportNames';
import { WorkbenchError } from '../../common/errors';
import type { ModelJob, ModelJobOptions } from '../../common/trainerMessages';
import { initBackend } from '../engine/backend';
import { assertOutsideDataFolders, type DataFolder } from '../export/dataFolderGuard';
import { exportRun, runDataFolders } from '../export/exportRun';
import { openRunFolder } from '../train/runFolder';
import { classifyWithModel, loadModelForPrediction } from '../export/loadModel';
import type { LoadedModel } from '../export/loadRunModel';
import { inferenceEngineHere, type InferenceEngineUsed } from '../engine/frozenNetwork';
import type { ExportFormat } from '../export/modelCard';
import { inspectCheckpointFile, type CheckpointInspection } from '../weights/weightsStore';
import type { PathChecker } from './pathPolicy';
import { runJobCall } from './jobCalls';

// The contract's formats and the exporter's must be the same list, in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const formatsAgree: Same<CallParams<'models.export'>['format'], ExportFormat> = true;
void formatsAgree;

/** Turns a run id into its folder (NOT_FOUND when there is none). */
type RunFolder = (runId: string) => Promise<string>;

/**
 * A model reference is an absolute path (checked like every path from a caller) or a run id, which
 * `runFolder` turns into its folder under the runs folder — never a path relative to the engine.
 */
async function resolveModel(model: string, paths: PathChecker, runFolder: RunFolder): Promise<string> {
  if (path.isAbsolute(model)) return paths.existing(model, 'file-or-folder', 'The model');
  if (!runIdSchema.safeParse(model).success) {
    throw new WorkbenchError('BAD_INPUT', `The model must be a run id or an absolute path to a run folder or an exported model; got '${model}'.`);
  }
  return runFolder(model);
}

/** Where `models.export` writes when the caller names no path, and which folders hold training data. */
export interface ExportPlaces {
  /** The engine's exports folder (created on first use). */
  exportsFolder: string;
  /** The image folders of every run the engine knows: no export may land inside one. */
  dataFolders: () => Promise<DataFolder[]>;
}

/** The train and test folders of every run folder under `runsRoot`, named for messages. */
export async function allRunDataFolders(runsRoot: string): Promise<DataFolder[]> {
  const entries = await readdir(runsRoot, { withFileTypes: true }).catch(() => []);
  const folders: DataFolder[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const record = await openRunFolder(path.join(runsRoot, entry.name), runsRoot).catch(() => undefined);
    if (record) folders.push(...runDataFolders(record));
  }
  return folders;
}

export async function prepareExport(params: CallParams<'models.export'>, paths: PathChecker, runFolder: RunFolder, places: ExportPlaces): Promise<ModelJob> {
  let requested = params.out;
  if (requested === undefined) {
    if (params.name === undefined) throw new WorkbenchError('BAD_INPUT', 'Give the export a file name, or the path to write it to.');
    await mkdir(places.exportsFolder, { recursive: true });
    requested = path.join(places.exportsFolder, exportFileName(params.name, params.format));
  }
  // The destination first: a path the caller may not write is refused before anything else is looked at.
  const out = await paths.writable(requested, 'the export');
  await assertOutsideDataFolders(out, await places.dataFolders());
  const folder = await runFolder(params.runId);
  return { kind: 'export', folder, format: params.format, out, force: params.force ?? false };
}

export async function preparePredict(params: CallParams<'models.predict'>, paths: PathChecker, runFolder: RunFolder): Promise<ModelJob> {
  const files: string[] = [];
  for (const file of params.files) files.push(await paths.existing(file, 'file', 'The image'));
  return { kind: 'predict', model: await resolveModel(params.model, paths, runFolder), files, topK: params.topK };
}

export async function prepareClassify(params: CallParams<'models.classify'>, paths: PathChecker, runFolder: RunFolder): Promise<ModelJob> {
  return { kind: 'classify', model: await resolveModel(params.model, paths, runFolder), images: params.images, topK: params.topK };
}

/** Loads the model a job names, runs `use` with it and frees it. */
async function withModel<T>(model: string, options: ModelJobOptions, use: (loaded: LoadedModel) => Promise<T>): Promise<T> {
  return use(await loadModelForPrediction(model, options));
}

async function classifyFiles(loaded: LoadedModel, files: readonly string[], topK: number, nameOf: (file: string) => string): Promise<CallResult<'models.predict'>> {
  const predictions: FilePrediction[] = [];
  for await (const p of classifyWithModel(loaded, files, { topK })) {
    const file = nameOf(p.file);
    // Messages name the file as the caller knows it (an upload's temporary path means nothing to its sender).
    const error = 'error' in p ? { code: p.error.code, message: p.error.message.split(p.file).join(file) } : undefined;
    predictions.push(error ? { file, error } : { file, top: 'top' in p ? p.top.map((t) => ({ ...t })) : [] });
  }
  return { labels: [...loaded.classes], predictions };
}

/**
 * Images sent with the call are written to a private temporary folder (the image pipeline reads
 * files) under names of our own — the sender's name is only a label — and removed afterwards.
 */
async function classifyUploads(loaded: LoadedModel, images: Extract<ModelJob, { kind: 'classify' }>['images'], topK: number): Promise<CallResult<'models.classify'>> {
  const folder = await mkdtemp(path.join(tmpdir(), 'resnet-workbench-classify-'));
  try {
    const names = new Map<string, string>();
    const files: string[] = [];
    for (const [index, image] of images.entries()) {
      const file = path.join(folder, `image-${index}`);
      await writeFile(file, Buffer.from(image.data, 'base64'), { mode: 0o600 });
      names.set(file, image.name);
      files.push(file);
    }
    return await classifyFiles(loaded, files, topK, (file) => names.get(file) ?? path.basename(file));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** What an export job answers; the service adds the downloads its host offers. */
export type ExportJobResult = Omit<CallResult<'models.export'>, 'downloads'>;

export type ModelJobResult =
  | ExportJobResult
  | CallResult<'models.predict'>
  | CallResult<'models.classify'>
  | CallResult<'jobs.export'>
  | CallResult<'jobs.import'>
  | CheckpointInspection
  | InferenceEngineUsed;

/** Does a prepared job's compute, in whichever process runs it. */
export async function runModelJob(job: ModelJob, options: ModelJobOptions): Promise<ModelJobResult> {
  // Parsing needs no compute backend (and its start-up would only delay the answer).
  if (job.kind === 'inspect') return inspectCheckpointFile(job.file);
  if (job.kind === 'jobExport' || job.kind === 'jobImport') return runJobCall(job, options);
  await initBackend();
  switch (job.kind) {
    case 'export': {
      const result = await exportRun({ ...options, run: job.folder, format: job.format, out: job.out, force: job.force });
      return { format: result.format, path: result.path, card: result.card, cardText: await readFile(result.card, 'utf8') };
    }
    case 'predict':
      return withModel(job.model, options, (loaded) => classifyFiles(loaded, job.files, job.topK, (file) => file));
    case 'classify':
      return withModel(job.model, options, (loaded) => classifyUploads(loaded, job.images, job.topK));
    case 'inference':
      return inferenceEngineHere();
  }
}
