/**
 * What a training run reports while it runs. The trainer emits these, the run folder's metrics.jsonl
 * stores them, the CLI prints them and the contract carries them to the UI — one schema for all.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors';

/** Which engine computed the frozen forward passes (engine/frozenNetwork.ts). */
export const inferenceEngineUsedSchema = z.strictObject({
  engine: z.enum(['onnxruntime', 'tfjs']),
  /** ONNX Runtime's execution provider, or tfjs' backend. */
  provider: z.string(),
  threads: z.number().int().nullable(),
  version: z.string(),
  skipped: z.array(z.strictObject({ choice: z.string(), reason: z.string() })),
});
export type InferenceEngineUsedData = z.output<typeof inferenceEngineUsedSchema>;

export const RUN_PHASES = ['scanning', 'weights', 'features', 'training', 'evaluating', 'saving'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

const runId = z.string().min(1);

export const confusionMatrixSchema = z.strictObject({
  labels: z.array(z.string()),
  /** Rows = actual class, columns = predicted class. */
  matrix: z.array(z.array(z.number().int().min(0))),
});

export const classReportSchema = z.strictObject({
  label: z.string(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().min(0),
});

export const misclassifiedSchema = z.strictObject({
  file: z.string(),
  actual: z.string(),
  predicted: z.string(),
  /** Softmax probability of the predicted class. */
  confidence: z.number(),
  /** Cross-entropy of this image; the list is sorted by it, worst first. */
  loss: z.number(),
});

/** A file the run could not use: never fatal, never silent. */
export const skippedFileSchema = z.strictObject({
  path: z.string(),
  /** Why, as the data scan words it ('truncated', 'corrupt', 'not-an-image', ...). */
  reason: z.string(),
  detail: z.string(),
  /** Which folder it came from. */
  folder: z.enum(['train', 'test']),
});
export type SkippedFile = z.output<typeof skippedFileSchema>;

/** At most this many skipped files travel in one run.skipped event; the report lists them all. */
export const MAX_SKIPPED_IN_EVENT = 500;

export const RUN_EVENT_SCHEMAS = {
  'run.started': z.strictObject({
    runId,
    folder: z.string(),
    classes: z.array(z.string()),
    trainImages: z.number().int(),
    /** Every image the run evaluates: validation plus test. */
    evalImages: z.number().int(),
    /** Held out of the train folder; they choose the epoch. */
    validationImages: z.number().int().min(0).optional(),
    /** The test folder's images, scored once at the end; absent without a test folder. */
    testImages: z.number().int().min(0).optional(),
    /** The split of the headline figure: 'test' when a test folder was given, else 'validation'. */
    evalSplit: z.enum(['test', 'validation']),
    backend: z.string(),
    /** Where the backbone weights came from, or why none could be had. */
    weights: z.string(),
    /** The engine that runs the frozen forward passes (linear runs), and what it did not use and why. */
    inference: inferenceEngineUsedSchema.optional(),
    /** Which start of the run this is: absent (1) when first started, 2 after its first resume, and so on. */
    attempt: z.number().int().min(2).optional(),
  }),
  'run.progress': z.strictObject({
    runId,
    phase: z.enum(RUN_PHASES),
    done: z.number().min(0),
    total: z.number().min(0),
    /** Estimated seconds left in the whole run, when it can be told. */
    etaSeconds: z.number().min(0).nullable(),
    message: z.string().optional(),
  }),
  'run.batch': z.strictObject({
    runId,
    epoch: z.number().int().min(1),
    batch: z.number().int().min(1),
    batches: z.number().int().min(1),
    loss: z.number(),
    accuracy: z.number(),
    lr: z.number(),
  }),
  'run.epoch': z.strictObject({
    runId,
    epoch: z.number().int().min(1),
    epochs: z.number().int().min(1),
    trainLoss: z.number(),
    trainAccuracy: z.number(),
    evalLoss: z.number().nullable(),
    evalAccuracy: z.number().nullable(),
    lr: z.number(),
    seconds: z.number(),
    best: z.boolean(),
  }),
  'run.evaluation': z.strictObject({
    runId,
    epoch: z.number().int().min(1),
    split: z.enum(['test', 'validation']),
    accuracy: z.number(),
    loss: z.number(),
    /** Top-k accuracy for a k below the class count (5, or fewer with 6 classes or less); null with 2 classes or fewer, where any k >= classes would be 100 % by construction. */
    topK: z.strictObject({ k: z.number().int().min(1), accuracy: z.number() }).nullable(),
    confusionMatrix: confusionMatrixSchema,
    perClass: z.array(classReportSchema),
    macroF1: z.number(),
    /** Worst first, at most 200. */
    misclassified: z.array(misclassifiedSchema),
  }),
  /**
   * Files the run skipped (unreadable, truncated, not images), found by the scans before training or
   * when decoding for training and evaluation. Sent when they are found; may come more than once.
   */
  'run.skipped': z.strictObject({
    runId,
    /** The files found at this point (at most MAX_SKIPPED_IN_EVENT). */
    files: z.array(skippedFileSchema),
    /** How many were found at this point (files may list fewer). */
    total: z.number().int().min(0),
  }),
  'run.finished': z.strictObject({
    runId,
    folder: z.string(),
    bestEpoch: z.number().int().min(0),
    epochsRun: z.number().int().min(0),
    stoppedEarly: z.boolean(),
    /** How the kept epoch was chosen: best validation accuracy, or simply the last. */
    selectEpoch: z.enum(['validation', 'last']).optional(),
    /** The kept model's accuracy on the validation split (held out of the train folder); null without one. */
    validationAccuracy: z.number().nullable().optional(),
    /** The last epoch's validation accuracy: not chosen on anything, so not optimistic. */
    lastEpochValidationAccuracy: z.number().nullable().optional(),
    /** The kept model's accuracy on the test folder, scored once at the end; null without a test folder. */
    testAccuracy: z.number().nullable(),
    /** Images trained on, and files skipped. */
    trainImages: z.number().int().min(0).optional(),
    skippedFiles: z.number().int().min(0).optional(),
    seconds: z.number(),
    /** Which start of the run this is: absent (1) when first started, 2 after its first resume, and so on. */
    attempt: z.number().int().min(2).optional(),
  }),
  'run.failed': z.strictObject({
    runId,
    folder: z.string(),
    error: z.strictObject({ code: z.enum(ERROR_CODES), message: z.string() }),
    /** The last good checkpoint kept, if any. */
    checkpoint: z.string().nullable(),
    /** Which start of the run this is: absent (1) when first started, 2 after its first resume, and so on. */
    attempt: z.number().int().min(2).optional(),
  }),
} as const;

export type RunEventName = keyof typeof RUN_EVENT_SCHEMAS;
export type RunEventPayload<E extends RunEventName> = z.output<(typeof RUN_EVENT_SCHEMAS)[E]>;
export type RunEvent = { [E in RunEventName]: { event: E; payload: RunEventPayload<E> } }[RunEventName];
export type Misclassified = z.output<typeof misclassifiedSchema>;
