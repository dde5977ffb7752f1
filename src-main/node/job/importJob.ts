/**
 * Brings a finished job (or any run folder) into the runs folder as a run. Everything is hostile
 * input until checked: each file is read through the one file-access rule (regular file, size
 * capped before a byte is read, links resolved and confined to the folder), config.json and
 * report.json against their schemas, every line of metrics.jsonl against the run event schema, the
 * checkpoints against the network they claim to be. Only then is the run written, into a hidden
 * folder renamed into place: an import is whole or absent.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { runEventRecordSchema, type RunEventRecord } from '../../common/contract';
import { WorkbenchError } from '../../common/errors';
import { RUN_EVENT_SCHEMAS } from '../../common/runEvents';
import { runsFolder } from '../appPaths';
import { writeFileAtomic } from '../io/atomicWrite';
import { isInside } from '../io/pathInside';
import { readRegularFile } from '../io/regularFile';
import { EPOCH_FILE_PATTERN, PREDICTIONS_FOLDER, TEST_FILE, epochPredictionsSchema } from '../train/epochPredictions';
import { CHECKPOINT_CONTENT } from '../train/runFolder';
import { parseSafetensors } from '../weights/safetensors';
import { assertCheckpointFits } from '../weights/torchvisionWeights';
import { JOB_FILES, JOB_FORMAT, runFolderConfigSchema } from './jobFormat';

/** Size caps, checked before a file is read. */
export const IMPORT_LIMITS = {
  /** config.json, report.json, one per-image results file. */
  json: 64 * 1024 * 1024,
  metrics: 512 * 1024 * 1024,
  /** A whole ResNet-152 with its optimizer state is under 1 GB. */
  checkpoint: 2 * 1024 * 1024 * 1024,
} as const;

export interface ImportJobOptions {
  /** Where the run goes. Default: the app data folder's runs/. */
  runsRoot?: string;
}

export interface ImportJobResult {
  runId: string;
  /** The new run's folder in the runs folder. */
  folder: string;
  epochsRun: number;
  validationAccuracy: number | null;
  testAccuracy: number | null;
  /** The files copied, relative to the run folder. */
  files: string[];
}

const evaluationSchema = RUN_EVENT_SCHEMAS['run.evaluation'].omit({ runId: true, epoch: true, split: true });

/** What the screens read of report.json; other fields are kept as they are. */
const reportSchema = z.looseObject({
  classes: z.array(z.string()),
  evalSplit: z.enum(['test', 'validation']),
  bestEpoch: z.number().int().min(0),
  epochsRun: z.number().int().min(0),
  validationAccuracy: z.number().nullable(),
  testAccuracy: z.number().nullable(),
  evaluation: evaluationSchema,
  validation: evaluationSchema.nullable(),
  test: evaluationSchema.nullable(),
  history: z.array(z.looseObject({ epoch: z.number().int().min(1), trainLoss: z.number(), trainAccuracy: z.number() })),
});

function refuse(message: string): never {
  throw new WorkbenchError('BAD_INPUT', `Cannot import the job: ${message}. Nothing was imported.`);
}

function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    // An event's fields are named as metrics.jsonl has them, not as the { event, payload } record does.
    .map((issue) => `${(issue.path[0] === 'payload' ? issue.path.slice(1) : issue.path).join('.') || 'the whole'}: ${issue.message}`)
    .join('; ');
}

function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    return refuse(`${name} is not valid JSON (${(error as Error).message})`);
  }
}

/** The run folder inside what the user chose: the job folder's run/, or the folder itself. */
async function runFolderIn(chosen: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(path.resolve(chosen));
  } catch {
    throw new WorkbenchError('NOT_FOUND', `There is no folder at ${chosen}.`);
  }
  if (!(await stat(root)).isDirectory()) refuse(`${chosen} is a file; choose the job's folder`);
  const inner = path.join(root, JOB_FILES.run);
  const innerInfo = await lstat(inner).catch(() => undefined);
  if (innerInfo && (innerInfo.isDirectory() || innerInfo.isSymbolicLink())) {
    const real = await realpath(inner);
    if (!isInside(root, real)) refuse(`${inner} is a link to ${real}, outside the job folder`);
    return real;
  }
  return root;
}

/** Reads `name` in `folder` under the file-access rule; undefined when absent and not required. */
async function readInside(folder: string, name: string, maxBytes: number, required: boolean): Promise<Uint8Array | undefined> {
  const file = path.join(folder, name);
  const info = await lstat(file).catch(() => undefined);
  if (!info) return required ? refuse(`the run folder ${folder} has no ${name}`) : undefined;
  let real = file;
  if (info.isSymbolicLink()) {
    real = await realpath(file).catch(() => refuse(`${name} is a link to nothing`));
    if (!isInside(folder, real)) refuse(`${name} is a link to ${real}, outside the job folder`);
  }
  try {
    return await readRegularFile(real, { maxBytes, what: name });
  } catch (error) {
    if (error instanceof WorkbenchError) refuse(error.message.replace(/\.$/, ''));
    throw error;
  }
}

function checkEvents(bytes: Uint8Array, runId: string): { events: RunEventRecord[]; finished: RunEventRecord & { event: 'run.finished' } } {
  const lines = Buffer.from(bytes).toString('utf8').split('\n');
  const events: RunEventRecord[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      refuse(`line ${i + 1} of metrics.jsonl is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) refuse(`line ${i + 1} of metrics.jsonl is not an event`);
    const { event, ...payload } = parsed as Record<string, unknown>;
    const record = runEventRecordSchema.safeParse({ event, payload });
    if (!record.success) refuse(`line ${i + 1} of metrics.jsonl (${String(event)}) does not match the run event schema: ${issuesOf(record.error)}`);
    if (record.data.payload.runId !== runId) refuse(`line ${i + 1} of metrics.jsonl belongs to run ${record.data.payload.runId}, not ${runId}`);
    events.push(record.data);
  });
  if (events[0]?.event !== 'run.started') refuse('metrics.jsonl does not begin with the run.started event');
  const last = events.at(-1);
  if (last?.event !== 'run.finished') refuse(`the job has not finished: the last event of metrics.jsonl is ${last?.event ?? 'missing'}`);
  return { events, finished: last };
}

/** Whether a checkpoint's `classes` metadata (JSON text) names exactly the run's classes. */
function sameClasses(text: string | undefined, classes: readonly string[]): boolean {
  try {
    return JSON.stringify(JSON.parse(text ?? 'null')) === JSON.stringify(classes);
  } catch {
    return false;
  }
}

function checkCheckpoint(bytes: Uint8Array, name: string, depth: Parameters<typeof assertCheckpointFits>[1], classes: readonly string[]): void {
  try {
    const { tensors, metadata } = parseSafetensors(bytes, { label: name });
    const kinds: string[] = Object.values(CHECKPOINT_CONTENT);
    if (!kinds.includes(metadata.kind ?? '')) refuse(`${name} is of kind '${metadata.kind ?? 'none'}', not a run checkpoint`);
    if (!sameClasses(metadata.classes, classes)) refuse(`${name} is for the classes ${metadata.classes ?? '(none)'}, not the run's ${JSON.stringify(classes)}`);
    if (metadata.kind === CHECKPOINT_CONTENT.full || metadata.kind === CHECKPOINT_CONTENT.fullTrainingState) {
      const weights = new Map([...tensors].filter(([key]) => !key.startsWith('optimizer/')));
      assertCheckpointFits(weights, depth, classes.length);
    } else {
      const fc = tensors.get('fc.weight');
      if (fc?.shape[0] !== classes.length) refuse(`${name} has no head for ${classes.length} classes`);
    }
  } catch (error) {
    if (error instanceof WorkbenchError && error.code !== 'BAD_INPUT') refuse(error.message.replace(/\.$/, ''));
    throw error;
  }
}

/** The folder fields of events and report name where the run was trained; they are made to name where it is now. */
function relocated(record: RunEventRecord, folder: string): Record<string, unknown> {
  const payload: Record<string, unknown> = { ...record.payload };
  if ('folder' in payload) payload.folder = folder;
  return { event: record.event, ...payload };
}

export async function importJob(chosen: string, options: ImportJobOptions = {}): Promise<ImportJobResult> {
  const source = await runFolderIn(chosen);
  const configBytes = (await readInside(source, 'config.json', IMPORT_LIMITS.json, true)) as Uint8Array;
  const configValue = parseJson(configBytes, 'config.json');
  if ((configValue as { format?: unknown } | null)?.format === JOB_FORMAT) refuse(`${chosen} is a job that has not been run yet (it has no ${JOB_FILES.run} folder): start it with launch.sh first, as its README describes`);
  const parsedConfig = runFolderConfigSchema.safeParse(configValue);
  if (!parsedConfig.success) refuse(`config.json is not a run's configuration: ${issuesOf(parsedConfig.error)}`);
  const { id, config, facts } = parsedConfig.data;
  const classes = facts.classes;

  const { events, finished } = checkEvents((await readInside(source, 'metrics.jsonl', IMPORT_LIMITS.metrics, true)) as Uint8Array, id);
  const started = events[0] as RunEventRecord & { event: 'run.started' };
  if (JSON.stringify(started.payload.classes) !== JSON.stringify(classes)) refuse('the classes of run.started differ from config.json');

  const reportValue = parseJson((await readInside(source, 'report.json', IMPORT_LIMITS.json, true)) as Uint8Array, 'report.json');
  const report = reportSchema.safeParse(reportValue);
  if (!report.success) refuse(`report.json is not a run report: ${issuesOf(report.error)}`);
  if (JSON.stringify(report.data.classes) !== JSON.stringify(classes)) refuse('the classes of report.json differ from config.json');

  const checkpoints = new Map<string, Uint8Array>();
  for (const name of ['best.safetensors', 'last.safetensors']) {
    const bytes = await readInside(source, name, IMPORT_LIMITS.checkpoint, name === 'best.safetensors');
    if (!bytes) continue;
    checkCheckpoint(bytes, name, config.depth, classes);
    checkpoints.set(name, bytes);
  }

  const predictions = new Map<string, Uint8Array>();
  const predictionsInfo = await lstat(path.join(source, PREDICTIONS_FOLDER)).catch(() => undefined);
  if (predictionsInfo && !predictionsInfo.isDirectory()) refuse(`${PREDICTIONS_FOLDER} is not a folder`);
  for (const name of predictionsInfo ? (await readdir(path.join(source, PREDICTIONS_FOLDER))).sort() : []) {
    if (name !== TEST_FILE && !EPOCH_FILE_PATTERN.test(name)) continue;
    const relative = `${PREDICTIONS_FOLDER}/${name}`;
    const bytes = (await readInside(source, relative, IMPORT_LIMITS.json, true)) as Uint8Array;
    const parsed = epochPredictionsSchema.safeParse(parseJson(bytes, relative));
    if (!parsed.success) refuse(`${relative} is not a per-image results file: ${issuesOf(parsed.error)}`);
    if (JSON.stringify(parsed.data.labels) !== JSON.stringify(classes)) refuse(`${relative} is for other classes than the run's`);
    const rows = parsed.data.files.length;
    if ([parsed.data.actual, parsed.data.predicted, parsed.data.confidence].some((list) => list.length !== rows)) refuse(`${relative} has lists of different lengths`);
    if ([...parsed.data.actual, ...parsed.data.predicted].some((c) => c >= classes.length)) refuse(`${relative} names a class index beyond the run's ${classes.length} classes`);
    predictions.set(relative, bytes);
  }

  // Everything checked: write the run beside its final place, then rename it in.
  const runsRoot = path.resolve(options.runsRoot ?? runsFolder());
  const folder = path.join(runsRoot, id);
  if (await stat(folder).catch(() => undefined)) throw new WorkbenchError('ALREADY_EXISTS', `The run ${id} is already in the runs folder (${folder}); it was imported before. Nothing was imported.`);
  const staging = path.join(runsRoot, `.import-${id}-${randomBytes(4).toString('hex')}.tmp`);
  const files: string[] = [];
  const put = async (relative: string, data: Uint8Array | string): Promise<void> => {
    await mkdir(path.dirname(path.join(staging, relative)), { recursive: true });
    await writeFileAtomic(path.join(staging, relative), data);
    files.push(relative);
  };
  try {
    await mkdir(staging, { recursive: true });
    await put('config.json', configBytes);
    await put('metrics.jsonl', events.map((record) => `${JSON.stringify(relocated(record, folder))}\n`).join(''));
    await put('report.json', `${JSON.stringify({ ...(reportValue as Record<string, unknown>), folder }, null, 2)}\n`);
    for (const [name, bytes] of checkpoints) await put(name, bytes);
    for (const [name, bytes] of predictions) await put(name, bytes);
    await rename(staging, folder);
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  return {
    runId: id,
    folder,
    epochsRun: finished.payload.epochsRun,
    validationAccuracy: report.data.validationAccuracy,
    testAccuracy: report.data.testAccuracy,
    files,
  };
}
