/**
 * A finished (or at least checkpointed) run as one classifier: the full ResNet with the run's head,
 * its labels and the preprocessing it was trained with. Shared by export and predict.
 *
 * Linear runs store only the head (`fc.*`) in best.safetensors; the backbone is the run's starting
 * weights, found again from the run's facts. Fine-tune runs store the whole state dict.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import type { ResNetDepth } from '../../common/resnetSpec';
import { runsFolder, weightsFolder } from '../appPaths';
import { CHECKPOINT_CONTENT, checkpointPath, loadState, openRunFolder, readRunEvents, type RunRecord } from '../train/runFolder';
import { readCheckpoint } from '../weights/checkpointFile';
import { randomResNetStateDict } from '../weights/randomInit';
import type { StateDict } from '../weights/stateDict';
import { assertCheckpointFits } from '../weights/torchvisionWeights';
import type { ExportMetadata, ExportMetrics } from './exportMetadata';

export interface LoadRunOptions {
  /** Where run ids are looked up. Default: the app data folder's runs/. */
  runsRoot?: string;
  /** Where 'imagenet:<file>' starting weights live. Default: the app data folder's weights/. */
  weightsFolder?: string;
}

export interface LoadedModel {
  /** The whole classifier as torchvision's state dict (fc included). */
  dict: StateDict;
  classes: string[];
  depth: ResNetDepth;
  imageSize: number;
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
  metadata: ExportMetadata;
}

const HEAD_KIND = CHECKPOINT_CONTENT.head;
const FULL_KIND = CHECKPOINT_CONTENT.full;

/** Where a linear run's backbone came from, as a file to read (or undefined for seeded random init). */
export function startingWeightsFile(source: string, folder: string): string | undefined {
  if (source === 'none') return undefined;
  if (source.startsWith('imagenet:')) return path.join(folder, source.slice('imagenet:'.length));
  return source;
}

async function startingWeights(record: RunRecord, options: LoadRunOptions): Promise<StateDict> {
  const { config, facts } = record;
  const file = startingWeightsFile(facts.weightsSource, options.weightsFolder ?? weightsFolder());
  if (file === undefined) return randomResNetStateDict(config.depth, 1000, config.seed);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new WorkbenchError(
      'NOT_FOUND',
      `The run ${record.id} kept only its head; its backbone is the starting weights '${facts.weightsSource}', looked for at ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Put that file back (or download the same weights) and try again.`,
    );
  }
  if (facts.weightsSha256) {
    const found = createHash('sha256').update(bytes).digest('hex');
    if (found !== facts.weightsSha256) {
      throw new WorkbenchError(
        'CHECKSUM_MISMATCH',
        `The starting weights at ${file} are not the ones the run ${record.id} trained on: SHA-256 ${found}, expected ${facts.weightsSha256}.`,
      );
    }
  }
  return readCheckpoint(file);
}

interface RunSummary {
  metrics: ExportMetrics;
  trainImages: number | null;
  evalImages: number | null;
}

async function runSummary(folder: string): Promise<RunSummary> {
  const report = JSON.parse(await readFile(path.join(folder, 'report.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const started = (await readRunEvents(folder)).find((e) => e.event === 'run.started') ?? {};
  return {
    metrics: {
      accuracy: num(report.testAccuracy),
      evalSplit: typeof report.evalSplit === 'string' ? report.evalSplit : null,
      bestEpoch: num(report.bestEpoch),
      epochsRun: num(report.epochsRun),
    },
    trainImages: num(started.trainImages),
    evalImages: num(started.evalImages),
  };
}

/**
 * The data set as the run recorded it. Runs do not hash image contents, so this identifies the
 * classes, folders, split and image counts: enough to tell two exports' training data apart.
 */
function datasetFingerprint(record: RunRecord, summary: RunSummary): string {
  const { config, facts } = record;
  const identity = {
    classes: facts.classes,
    trainDir: config.trainDir,
    testDir: config.testDir ?? null,
    valSplit: config.testDir ? null : config.valSplit,
    seed: config.seed,
    trainImages: summary.trainImages,
    evalImages: summary.evalImages,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** Build the run's full classifier. Throws NOT_FOUND for a missing run, best checkpoint or starting weights. */
export async function loadRunModel(runFolderOrId: string, options: LoadRunOptions = {}): Promise<LoadedModel> {
  const record = await openRunFolder(runFolderOrId, options.runsRoot ?? runsFolder());
  const { config, facts } = record;
  const bestFile = checkpointPath(record.folder, 'best');
  const best = await loadState(bestFile);
  if (!best) throw new WorkbenchError('NOT_FOUND', `The run ${record.id} has no ${bestFile} yet: it has not finished an epoch, so there is no model to use.`);
  const kind = best.metadata.kind;
  if (kind !== HEAD_KIND && kind !== FULL_KIND) {
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `${bestFile} is of kind '${kind ?? 'none'}'; expected '${HEAD_KIND}' or '${FULL_KIND}'.`);
  }
  const classes = facts.classes;
  const backbone = kind === HEAD_KIND ? await startingWeights(record, options) : undefined;
  // A head file holds fc.* only: the run's model is the starting backbone with that head.
  const dict: StateDict = backbone ? new Map(backbone) : best.tensors;
  if (backbone) for (const [key, value] of best.tensors) dict.set(key, value);
  assertCheckpointFits(dict, config.depth, classes.length);
  const summary = await runSummary(record.folder);
  const metadata: ExportMetadata = {
    labels: [...classes],
    depth: config.depth,
    imageSize: config.imageSize,
    crop: config.crop,
    mean: [...config.mean],
    std: [...config.std],
    mode: config.mode,
    sourceWeights: facts.weightsSource,
    sourceWeightsSha256: facts.weightsSha256,
    appVersion: facts.appVersion,
    runId: record.id,
    datasetFingerprint: datasetFingerprint(record, summary),
    metrics: summary.metrics,
  };
  return { dict, classes: [...classes], depth: config.depth, imageSize: config.imageSize, crop: config.crop, mean: metadata.mean, std: metadata.std, metadata };
}
