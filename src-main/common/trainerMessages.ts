/**
 * The messages between the engine and the trainer process it starts (an Electron utilityProcess in
 * the app, a forked Node process elsewhere). Training in its own process keeps the engine and the UI
 * responsive, and a trainer that crashes or runs out of memory takes only itself down.
 *
 * Both sides validate every message they receive: a message that does not parse is a bug in the other
 * side, and acting on it (say, a run event the UI cannot show) would only move the failure elsewhere.
 */
import { z } from 'zod';
import { exportFormatSchema, uploadedImageSchema } from './contract';
import { ERROR_CODES, WorkbenchError } from './errors';
import { runConfigSchema } from './runConfig';
import { RUN_EVENT_SCHEMAS, type RunEvent, type RunEventName } from './runEvents';

/** What the trainer needs for one run: the serialisable part of the trainer's own options. */
export const trainerRunOptionsSchema = z.strictObject({
  config: runConfigSchema,
  /** Where run folders go. Default: the app data folder's runs/ as the trainer process sees it. */
  runsRoot: z.string().min(1).optional(),
  /** Exact folder for this run. Default: a new folder under runsRoot. */
  outFolder: z.string().min(1).optional(),
  /** Continue the run in this folder. */
  resume: z.string().min(1).optional(),
  /** Train from random weights when ImageNet weights cannot be had. Default false. */
  allowRandomFallback: z.boolean().optional(),
  /** Where ImageNet weights are cached and downloaded from; defaults as in the weights store. */
  weightsOptions: z
    .strictObject({
      folder: z.string().min(1).optional(),
      baseUrl: z.string().min(1).optional(),
      timeoutMs: z.number().int().positive().optional(),
    })
    .optional(),
  /** Minimum milliseconds between run.batch events. Default 125. */
  batchEventInterval: z.number().min(0).optional(),
});
export type TrainerRunOptions = z.input<typeof trainerRunOptionsSchema>;

/**
 * Model work the engine hands to a worker process so that a large prediction or an export cannot
 * block the process serving the UI. Paths are already checked (and resolved) by the engine.
 */
export const modelJobSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('predict'), model: z.string().min(1), files: z.array(z.string().min(1)).min(1), topK: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('classify'), model: z.string().min(1), images: z.array(uploadedImageSchema).min(1), topK: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('export'), folder: z.string().min(1), format: exportFormatSchema, out: z.string().min(1), force: z.boolean() }),
  /** Which engine and provider runs frozen forward passes here (loads ONNX Runtime, probes providers). */
  z.strictObject({ kind: z.literal('inference') }),
  /** Writes a cluster job folder for a run (its folder) or a configuration. */
  z.strictObject({ kind: z.literal('jobExport'), run: z.string().min(1).optional(), config: runConfigSchema.optional(), out: z.string().min(1), force: z.boolean() }),
  /** Checks a finished job's files (hostile input) and adds it as a run. */
  z.strictObject({ kind: z.literal('jobImport'), folder: z.string().min(1) }),
  /** Parses a checkpoint file (hostile input) and says which ResNet it holds: weights.import's check. */
  z.strictObject({ kind: z.literal('inspect'), file: z.string().min(1) }),
]);
export type ModelJob = z.output<typeof modelJobSchema>;

/** Where a model job finds runs and weights. */
export const modelJobOptionsSchema = z.strictObject({
  runsRoot: z.string().min(1).optional(),
  weightsFolder: z.string().min(1).optional(),
});
export type ModelJobOptions = z.output<typeof modelJobOptionsSchema>;

/** Engine → trainer. */
export const trainerRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('start'), runId: z.string().min(1), options: trainerRunOptionsSchema }),
  z.strictObject({ type: z.literal('cancel') }),
  z.strictObject({ type: z.literal('model'), job: modelJobSchema, options: modelJobOptionsSchema }),
]);
export type TrainerRequest = z.input<typeof trainerRequestSchema>;

const runEventNames = Object.keys(RUN_EVENT_SCHEMAS) as [RunEventName, ...RunEventName[]];

/** A run event: its name must be known and its payload valid against that event's schema. */
const runEventSchema = z
  .strictObject({ event: z.enum(runEventNames), payload: z.unknown() })
  .superRefine((value, ctx) => {
    const parsed = RUN_EVENT_SCHEMAS[value.event].safeParse(value.payload);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['payload', ...issue.path] });
    }
  })
  .transform((value) => value as RunEvent);

/**
 * The run's report. Only the fields the engine reads are checked; the rest is the trainer's own
 * RunReport carried whole (the UI learns the outcome from the strictly checked run.finished event).
 */
const runReportSchema = z.looseObject({
  runId: z.string(),
  folder: z.string(),
  classes: z.array(z.string()),
  bestEpoch: z.number().int(),
  epochsRun: z.number().int(),
  /** Null without a test folder (the validation figure is then in validationAccuracy). */
  testAccuracy: z.number().nullable(),
});

/** Trainer → engine. 'done' and 'failed' end the run; nothing follows them. */
export const trainerReplySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('event'), event: runEventSchema }),
  z.strictObject({ type: z.literal('done'), report: runReportSchema }),
  /** A model job's result; the engine checks it against the call's result schema. */
  z.strictObject({ type: z.literal('result'), value: z.unknown() }),
  z.strictObject({ type: z.literal('failed'), error: z.strictObject({ code: z.enum(ERROR_CODES), message: z.string() }) }),
]);
export type TrainerReply = z.output<typeof trainerReplySchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`)
    .join('; ');
}

/** Parses a message from the engine; throws WorkbenchError('INTERNAL') naming what was wrong. */
export function parseTrainerRequest(value: unknown): z.output<typeof trainerRequestSchema> {
  const parsed = trainerRequestSchema.safeParse(value);
  if (!parsed.success) throw new WorkbenchError('INTERNAL', `The trainer process received a malformed message (${describeIssues(parsed.error)}).`);
  return parsed.data;
}

/** Parses a message from the trainer; throws WorkbenchError('INTERNAL') naming what was wrong. */
export function parseTrainerReply(value: unknown): TrainerReply {
  const parsed = trainerReplySchema.safeParse(value);
  if (!parsed.success) throw new WorkbenchError('INTERNAL', `The trainer process sent a malformed message (${describeIssues(parsed.error)}).`);
  return parsed.data;
}
