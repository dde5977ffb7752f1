/** `models.export`, `models.predict` and `models.classify`: a run's model written out, or asked about images. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIdSchema, type CallParams, type CallResult, type FilePrediction } from '../../common/contract';
import { WorkbenchError } from '../../common/errors';
import { exportRun } from '../export/exportRun';
import { classifyWithModel, loadModelForPrediction } from '../export/loadModel';
import type { LoadedModel, LoadRunOptions } from '../export/loadRunModel';
import type { ExportFormat } from '../export/modelCard';
import type { PathChecker } from './pathPolicy';

// The contract's formats and the exporter's must be the same list, in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const formatsAgree: Same<CallParams<'models.export'>['format'], ExportFormat> = true;
void formatsAgree;

export async function exportModel(
  params: CallParams<'models.export'> & { folder: string },
  paths: PathChecker,
  options: LoadRunOptions,
): Promise<CallResult<'models.export'>> {
  const out = await paths.writable(params.out, 'the export');
  const result = await exportRun({ ...options, run: params.folder, format: params.format, out, force: params.force ?? false });
  return { format: result.format, path: result.path, card: result.card, cardText: await readFile(result.card, 'utf8') };
}

/**
 * A model reference is an absolute path (checked like every path from a caller) or a run id, which
 * `runFolder` turns into its folder under the runs folder — never a path relative to the engine.
 */
async function resolveModel(model: string, paths: PathChecker, runFolder: (runId: string) => Promise<string>): Promise<string> {
  if (path.isAbsolute(model)) return paths.existing(model, 'file-or-folder', 'The model');
  if (!runIdSchema.safeParse(model).success) {
    throw new WorkbenchError('BAD_INPUT', `The model must be a run id or an absolute path to a run folder or an exported model; got '${model}'.`);
  }
  return runFolder(model);
}

type ModelCallOptions = LoadRunOptions & { runFolder: (runId: string) => Promise<string> };

/** Loads the model a call names, runs `use` with it and frees it. */
async function withModel<T>(model: string, paths: PathChecker, options: ModelCallOptions, use: (loaded: LoadedModel) => Promise<T>): Promise<T> {
  const reference = await resolveModel(model, paths, options.runFolder);
  const loaded = await loadModelForPrediction(reference, {
    ...(options.runsRoot !== undefined ? { runsRoot: options.runsRoot } : {}),
    ...(options.weightsFolder !== undefined ? { weightsFolder: options.weightsFolder } : {}),
  });
  try {
    return await use(loaded);
  } finally {
    loaded.model.dispose();
  }
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

export async function predictFiles(params: CallParams<'models.predict'>, paths: PathChecker, options: ModelCallOptions): Promise<CallResult<'models.predict'>> {
  const files: string[] = [];
  for (const file of params.files) files.push(await paths.existing(file, 'file', 'The image'));
  return withModel(params.model, paths, options, (loaded) => classifyFiles(loaded, files, params.topK, (file) => file));
}

/**
 * Images sent with the call are written to a private temporary folder (the image pipeline reads
 * files) under names of our own — the sender's name is only a label — and removed afterwards.
 */
export async function classifyUploads(params: CallParams<'models.classify'>, paths: PathChecker, options: ModelCallOptions): Promise<CallResult<'models.classify'>> {
  return withModel(params.model, paths, options, async (loaded) => {
    const folder = await mkdtemp(path.join(tmpdir(), 'resnet-workbench-classify-'));
    try {
      const names = new Map<string, string>();
      const files: string[] = [];
      for (const [index, image] of params.images.entries()) {
        const file = path.join(folder, `image-${index}`);
        await writeFile(file, Buffer.from(image.data, 'base64'), { mode: 0o600 });
        names.set(file, image.name);
        files.push(file);
      }
      return await classifyFiles(loaded, files, params.topK, (file) => names.get(file) ?? path.basename(file));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
}
