/**
 * Each evaluation image's outcome at an epoch, kept in the run folder so the UI can open a
 * confusion-matrix cell and see its images (the run.evaluation event carries only the worst
 * mistakes). One file per epoch, predictions/epoch-NNNN.json; only the latest and the best epoch's
 * files are kept — a long run would otherwise pile up a copy of the evaluation set per epoch.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { WorkbenchError } from '../../common/errors';
import { writeFileAtomic } from '../io/atomicWrite';
import type { ImageScores } from './evaluation';

export const PREDICTIONS_FOLDER = 'predictions';
export const EPOCH_FILE_PATTERN = /^epoch-(\d+)\.json$/;

export const epochPredictionsSchema = z.strictObject({
  epoch: z.number().int().min(1),
  split: z.enum(['test', 'validation']),
  labels: z.array(z.string()),
  files: z.array(z.string()),
  actual: z.array(z.number().int().min(0)),
  predicted: z.array(z.number().int().min(0)),
  confidence: z.array(z.number()),
});
export type EpochPredictions = z.output<typeof epochPredictionsSchema>;

function fileOf(folder: string, epoch: number): string {
  return path.join(folder, PREDICTIONS_FOLDER, `epoch-${String(epoch).padStart(4, '0')}.json`);
}

async function storedEpochs(folder: string): Promise<number[]> {
  const names = await readdir(path.join(folder, PREDICTIONS_FOLDER)).catch(() => [] as string[]);
  return names.flatMap((name) => {
    const match = EPOCH_FILE_PATTERN.exec(name);
    return match ? [Number(match[1])] : [];
  });
}

/** Writes an epoch's per-image results and drops those of epochs that are neither this one nor the best. */
export async function writeEpochPredictions(
  folder: string,
  epoch: number,
  bestEpoch: number,
  split: EpochPredictions['split'],
  labels: readonly string[],
  scores: ImageScores,
): Promise<void> {
  const record: EpochPredictions = {
    epoch,
    split,
    labels: [...labels],
    files: [...scores.files],
    actual: scores.actual,
    predicted: scores.predicted,
    // Four significant digits are all a gallery shows, and they halve the file.
    confidence: scores.confidence.map((c) => Number(c.toPrecision(4))),
  };
  await mkdir(path.join(folder, PREDICTIONS_FOLDER), { recursive: true });
  await writeFileAtomic(fileOf(folder, epoch), JSON.stringify(record));
  for (const stale of await storedEpochs(folder)) {
    if (stale !== epoch && stale !== bestEpoch) await rm(fileOf(folder, stale), { force: true });
  }
}

export const TEST_FILE = 'test.json';

/**
 * The test folder's per-image results: scored once, on the kept model (`epoch` is the kept epoch).
 * Kept apart from the epoch files, which hold validation results.
 */
export async function writeTestPredictions(folder: string, epoch: number, labels: readonly string[], scores: ImageScores): Promise<void> {
  const record: EpochPredictions = {
    epoch,
    split: 'test',
    labels: [...labels],
    files: [...scores.files],
    actual: scores.actual,
    predicted: scores.predicted,
    confidence: scores.confidence.map((c) => Number(c.toPrecision(4))),
  };
  await mkdir(path.join(folder, PREDICTIONS_FOLDER), { recursive: true });
  await writeFileAtomic(path.join(folder, PREDICTIONS_FOLDER, TEST_FILE), JSON.stringify(record));
}

/** The test folder's per-image results, or undefined when the run has none (no test folder, or not finished). */
export async function readTestPredictions(folder: string): Promise<EpochPredictions | undefined> {
  const text = await readFile(path.join(folder, PREDICTIONS_FOLDER, TEST_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = epochPredictionsSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

/** The per-image results of an epoch (default: the latest kept); NOT_FOUND names the epochs kept. */
export async function readEpochPredictions(folder: string, epoch?: number): Promise<EpochPredictions> {
  const kept = (await storedEpochs(folder)).sort((a, b) => a - b);
  const chosen = epoch ?? kept.at(-1);
  if (chosen === undefined || !kept.includes(chosen)) {
    const which = epoch === undefined ? 'any epoch' : `epoch ${epoch}`;
    const keptText = kept.length > 0 ? `; they are kept for the latest and the best epoch only (here: ${kept.join(', ')})` : ' yet';
    throw new WorkbenchError('NOT_FOUND', `The run has no per-image results for ${which}${keptText}.`);
  }
  const text = await readFile(fileOf(folder, chosen), 'utf8');
  const parsed = epochPredictionsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new WorkbenchError('BAD_INPUT', `${fileOf(folder, chosen)} is not a per-image results file this version understands.`);
  return parsed.data;
}
