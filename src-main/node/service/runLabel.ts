/**
 * A run's name and note (`label.json` in its folder): written by the user, never by the trainer, so a
 * resumed run keeps them and config.json stays what the run was trained with.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { runLabelSchema } from '../../common/contract';
import { writeFileAtomic } from '../io/atomicWrite';

export type RunLabel = z.output<typeof runLabelSchema>;

const LABEL_FILE = 'label.json';
const NO_LABEL: RunLabel = { name: null, note: null };

/** The run's name and note; nulls when it has none or the file is not one this version wrote. */
export async function readRunLabel(folder: string): Promise<RunLabel> {
  const text = await readFile(path.join(folder, LABEL_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return NO_LABEL;
  try {
    const parsed = runLabelSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : NO_LABEL;
  } catch {
    return NO_LABEL;
  }
}

/** Empty text clears a field. Written atomically: a crash leaves the old label or the new one. */
export async function writeRunLabel(folder: string, label: RunLabel): Promise<RunLabel> {
  const cleaned: RunLabel = { name: label.name?.trim() || null, note: label.note?.trim() || null };
  await writeFileAtomic(path.join(folder, LABEL_FILE), `${JSON.stringify(cleaned, null, 2)}\n`);
  return cleaned;
}
