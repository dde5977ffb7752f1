/**
 * The job folder's own files (see exportJob.ts) and what train.py writes back: a run folder in the
 * workbench's format, whose files importJob.ts checks before anything is added.
 */
import { z } from 'zod';
import { runFactsSchema } from '../../common/contract';
import { runConfigSchema, type RunConfig } from '../../common/runConfig';
import type { RunFacts } from '../train/runFolder';

/** Written into the job's config.json; train.py refuses any other. */
export const JOB_FORMAT = 'resnet-workbench/job-1';

export const JOB_FILES = {
  config: 'config.json',
  split: 'split.json',
  /** Where train.py writes its run folder unless told otherwise. */
  run: 'run',
  /** Copied from resources/job/ as they are. */
  templates: ['train.py', 'launch.sh', 'requirements.txt', 'README.md'],
} as const;

export interface JobConfig {
  format: typeof JOB_FORMAT;
  id: string;
  config: RunConfig;
  facts: RunFacts;
  /** split.json, beside config.json. */
  split: string;
  /** The starting weights, relative to the job folder, and their SHA-256 (train.py checks it). */
  weights: { file: string; sha256: string };
}

/** [root, path relative to that root with '/' separators, class index] */
export type JobImage = [string, string, number];

export interface JobSplit {
  classes: string[];
  roots: { train: string; test: string | null };
  train: JobImage[];
  validation: JobImage[];
  test: JobImage[] | null;
}

/** A run id that is a plain folder name: no separators, no '..', nothing hidden. */
export const runIdNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a run id is letters, digits, dots, dashes and underscores');

/** A run folder's config.json, as runFolder.ts writes it and train.py copies it. */
export const runFolderConfigSchema = z.object({
  id: runIdNameSchema,
  config: runConfigSchema,
  facts: runFactsSchema.extend({ classes: z.array(z.string().min(1)).min(2) }),
});
