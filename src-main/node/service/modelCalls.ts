/** `models.export` and `models.predict`: a run's model written out, or asked about image files. */
import path from 'node:path';
import { runIdSchema, type CallParams, type CallResult, type FilePrediction } from '../../common/contract';
import { WorkbenchError } from '../../common/errors';
import { exportRun } from '../export/exportRun';
import { classifyWithModel, loadModelForPrediction } from '../export/loadModel';
import type { LoadRunOptions } from '../export/loadRunModel';
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
  return { format: result.format, path: result.path, card: result.card };
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

export async function predictFiles(
  params: CallParams<'models.predict'>,
  paths: PathChecker,
  options: LoadRunOptions & { runFolder: (runId: string) => Promise<string> },
): Promise<CallResult<'models.predict'>> {
  const files: string[] = [];
  for (const file of params.files) files.push(await paths.existing(file, 'file', 'The image'));
  const reference = await resolveModel(params.model, paths, options.runFolder);
  const loaded = await loadModelForPrediction(reference, { ...(options.runsRoot !== undefined ? { runsRoot: options.runsRoot } : {}), ...(options.weightsFolder !== undefined ? { weightsFolder: options.weightsFolder } : {}) });
  try {
    const predictions: FilePrediction[] = [];
    for await (const p of classifyWithModel(loaded, files, { topK: params.topK })) {
      predictions.push('error' in p ? { file: p.file, error: { ...p.error } } : { file: p.file, top: p.top.map((t) => ({ ...t })) });
    }
    return { labels: [...loaded.classes], predictions };
  } finally {
    loaded.model.dispose();
  }
}
