/**
 * What a run folder on disk says about its run, for `runs.get` and `runs.list`: its events in the
 * contract's shape, its report, and how it ended. The service's in-memory registry overrides the
 * status for the runs it is running itself.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runEventRecordSchema, type RunEventRecord, type RunStatus } from '../../common/contract';
import { readRunEvents } from '../train/runFolder';

/** metrics.jsonl holds `{ event, ...payload }` per line; listeners get `{ event, payload }`. */
export function toEventRecord(line: Record<string, unknown>): RunEventRecord | undefined {
  const { event, ...payload } = line;
  const parsed = runEventRecordSchema.safeParse({ event, payload });
  // A line this version cannot read (another version's event) is left out rather than failing the run.
  return parsed.success ? parsed.data : undefined;
}

export async function readEventRecords(folder: string): Promise<RunEventRecord[]> {
  const records: RunEventRecord[] = [];
  for (const line of await readRunEvents(folder)) {
    const record = toEventRecord(line);
    if (record) records.push(record);
  }
  return records;
}

/** report.json as plain data, or null when the run has not finished. */
export async function readRunReport(folder: string): Promise<Record<string, unknown> | null> {
  const text = await readFile(path.join(folder, 'report.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** How much of metrics.jsonl's end is read to find how a run ended (a run.failed line is small). */
const TAIL_BYTES = 64 * 1024;

/** The last complete event of metrics.jsonl, read from its end so a long run's batches are not all parsed. */
export async function readLastEvent(folder: string): Promise<RunEventRecord | undefined> {
  const handle = await open(path.join(folder, 'metrics.jsonl'), 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n').filter((l) => l.trim());
    // The newest line may be torn (a killed process); walk back to the first that parses.
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const record = toEventRecord(JSON.parse(lines[i] as string) as Record<string, unknown>);
        if (record) return record;
      } catch {
        // A torn or cut line: try the one before.
      }
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * The status of a run nobody here is running: finished with a report, failed or cancelled by its
 * last event, and otherwise interrupted — its process died before it could say how it ended. (A run
 * another process is training right now, e.g. the CLI, also reads as interrupted.)
 */
export function statusOnDisk(hasReport: boolean, lastEvent: RunEventRecord | undefined): RunStatus {
  if (hasReport || lastEvent?.event === 'run.finished') return 'finished';
  if (lastEvent?.event === 'run.failed') return lastEvent.payload.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
  return 'interrupted';
}
