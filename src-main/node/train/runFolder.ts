/**
 * A run's folder: everything needed to understand, resume and export a run.
 *
 *   config.json          the resolved RunConfig plus the facts of this run (classes, backbone source)
 *   metrics.jsonl        every run event, one JSON object per line, appended as it happens
 *   last.safetensors     the state after the latest completed epoch (trained weights + optimizer)
 *   best.safetensors     the state at the best validation epoch
 *   features/            backbone features (linear mode), streamed to disk and read back a batch at a
 *                        time; a resumed run reuses them (train/featureStore.ts)
 *   report.json          the final evaluation, written when the run finishes
 *
 * Every file but metrics.jsonl is written atomically; metrics.jsonl is append-only, a torn last
 * line (a killed process) is ignored when read and dropped before this process first appends.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import { runConfigSchema, type RunConfig } from '../../common/runConfig';
import type { RunEvent } from '../../common/runEvents';
import { describeFailure, writeFileAtomic } from '../io/atomicWrite';
import { parseSafetensors, serializeSafetensors } from '../weights/safetensors';
import type { StateDict } from '../weights/stateDict';

export interface RunFacts {
  /** Class names in index order (sorted train folder names). */
  classes: string[];
  /** Where the backbone's starting weights came from: a file path, 'imagenet:<file>' or 'none'. */
  weightsSource: string;
  /** SHA-256 of the starting weights file, when there was one. */
  weightsSha256: string | null;
  /** Product version that made the run. */
  appVersion: string;
  createdAt: string;
}

export interface RunRecord {
  id: string;
  folder: string;
  config: RunConfig;
  facts: RunFacts;
}

export const CHECKPOINT_KINDS = ['last', 'best'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

/**
 * The `kind` each run checkpoint carries in its metadata: what its tensors are. Linear runs store the
 * head alone (the backbone is the starting weights); fine-tune runs store the whole network.
 */
export const CHECKPOINT_CONTENT = {
  head: 'resnet-workbench/head',
  headTrainingState: 'resnet-workbench/head-training-state',
  full: 'resnet-workbench/full',
  fullTrainingState: 'resnet-workbench/full-training-state',
} as const;

/** Tensors plus string metadata, as a safetensors file holds them. */
export interface StoredState {
  tensors: StateDict;
  metadata: Record<string, string>;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
}

export function checkpointPath(folder: string, kind: CheckpointKind): string {
  return path.join(folder, `${kind}.safetensors`);
}

export async function createRunFolder(runsRoot: string, config: RunConfig, facts: RunFacts, outFolder?: string): Promise<RunRecord> {
  const id = outFolder ? path.basename(outFolder) : `${timestamp(new Date())}-resnet${config.depth}-${randomBytes(2).toString('hex')}`;
  const folder = path.resolve(outFolder ?? path.join(runsRoot, id));
  const existing = await stat(path.join(folder, 'config.json')).catch(() => undefined);
  if (existing) throw new WorkbenchError('ALREADY_EXISTS', `${folder} already holds a run; resume it with --resume ${folder} or choose another folder.`);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    // The reason in words (read-only, no space...), not a bare errno such as "ENOENT mkdir".
    throw new WorkbenchError('IO', `Cannot create the run folder ${folder}: ${describeFailure(error)}`);
  }
  const record = { id, folder, config, facts };
  await writeFileAtomic(path.join(folder, 'config.json'), `${JSON.stringify({ id, config, facts }, null, 2)}\n`);
  return record;
}

/** Open an existing run (for resume or export) by its folder, or by id under `runsRoot`. */
export async function openRunFolder(folderOrId: string, runsRoot: string): Promise<RunRecord> {
  const candidates = [path.resolve(folderOrId), path.join(runsRoot, folderOrId)];
  for (const folder of candidates) {
    let text: string;
    try {
      text = await readFile(path.join(folder, 'config.json'), 'utf8');
    } catch {
      continue;
    }
    const parsed = JSON.parse(text) as { id: string; config: unknown; facts: RunFacts };
    const config = runConfigSchema.safeParse(parsed.config);
    if (!config.success) throw new WorkbenchError('BAD_INPUT', `${folder}/config.json is not a run configuration this version understands: ${config.error.issues[0]?.message}`);
    return { id: parsed.id, folder, config: config.data, facts: parsed.facts };
  }
  throw new WorkbenchError('NOT_FOUND', `No run found at ${folderOrId} (looked for config.json there and under ${runsRoot}).`);
}

/** Run folders whose metrics.jsonl this process has checked for a torn last line. */
const repairedLogs = new Set<string>();

/**
 * Drops a torn last line from metrics.jsonl (a process killed mid-append, a full disk) so the next
 * append starts on a line of its own instead of gluing onto the fragment and corrupting both.
 * Returns the number of bytes dropped (0 when the file was whole or absent).
 */
export async function repairRunLog(folder: string): Promise<number> {
  const file = path.join(folder, 'metrics.jsonl');
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return 0;
  const keep = bytes.lastIndexOf(0x0a) + 1;
  await truncate(file, keep);
  return bytes.length - keep;
}

export async function appendRunEvent(folder: string, event: RunEvent): Promise<void> {
  if (!repairedLogs.has(folder)) {
    repairedLogs.add(folder);
    const dropped = await repairRunLog(folder);
    if (dropped > 0) console.warn(`${path.join(folder, 'metrics.jsonl')} ended in a torn line (${dropped} bytes from an interrupted write); it was dropped before appending.`);
  }
  await appendFile(path.join(folder, 'metrics.jsonl'), `${JSON.stringify({ event: event.event, ...event.payload })}\n`);
}

/** The run's events in order; a torn last line from a killed process is skipped. */
export async function readRunEvents(folder: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(folder, 'metrics.jsonl'), 'utf8').catch(() => '');
  const events: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Only the last line can be torn; anything unparsable is not an event.
    }
  }
  return events;
}

export async function saveState(file: string, state: StoredState): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(state.tensors, state.metadata));
}

export async function loadState(file: string): Promise<StoredState | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  const { tensors, metadata } = parseSafetensors(bytes, { label: file });
  return { tensors, metadata };
}

export async function writeRunReport(folder: string, report: unknown): Promise<void> {
  await writeFileAtomic(path.join(folder, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
}
