/**
 * The one contract between the UI and the engine. Every request/reply call and every event is an
 * entry below with zod schemas; the TypeScript types, the preload's methods, the IPC handlers and
 * the WebSocket transport are all derived from these two maps, so a new call is one new entry.
 *
 * Call names are `group.method`; the renderer sees them as `workbench.group.method(params)`.
 * Replies are plain data (`Reply<T>`): rich errors do not survive IPC or JSON.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorData } from './errors';
import { exportNameProblem, MAX_EXPORT_NAME_LENGTH } from './exportNames';
import { RESNET_DEPTHS } from './resnetSpec';
import { runConfigSchema } from './runConfig';
import { inferenceEngineUsedSchema, RUN_EVENT_SCHEMAS, type RunEventName } from './runEvents';

// ---------------------------------------------------------------------------------------------
// Reusable schemas

/** A call that takes no parameters accepts `{}` or nothing at all. */
const noParams = z.strictObject({}).optional();

export const resnetDepthSchema = z.union(RESNET_DEPTHS.map((depth) => z.literal(depth)));

export const errorDataSchema = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** The run the error is about (BUSY: the running run), so no UI reads it out of the message. */
  runId: z.string().optional(),
});

export const backendNameSchema = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);

export const engineInfoSchema = z.strictObject({
  /** Our name for the active backend. */
  backend: backendNameSchema,
  /** tfjs' own name for it ('tensorflow' for both native builds). */
  tfjsBackend: z.string(),
  /** Library name → version, e.g. `{ node: '20.19.5', tfjs: '4.22.0' }`. */
  versions: z.record(z.string(), z.string()),
  /** Whether convolutions can be fine-tuned (the backend has Conv2DBackpropFilter). */
  convGradients: z.boolean(),
  /** Faster backends that were tried and why they did not load. */
  skipped: z.array(z.strictObject({ backend: backendNameSchema, reason: z.string() })),
  /** The engine of frozen forward passes (features, evaluation, predictions): ONNX Runtime or tfjs, and what was not used and why. */
  inference: inferenceEngineUsedSchema.optional(),
});

/** torchvision's names for the ImageNet-1K training recipes. */
export const weightsVariantSchema = z.enum(['IMAGENET1K_V1', 'IMAGENET1K_V2']);

/** One of torchvision's ImageNet checkpoints and whether it is in the app's weights folder. */
export const pretrainedWeightsEntrySchema = z.strictObject({
  depth: resnetDepthSchema,
  variant: weightsVariantSchema,
  /** torchvision's own name, e.g. `ResNet50_Weights.IMAGENET1K_V2`. */
  torchvisionName: z.string(),
  /** File name on the server and in the weights folder, e.g. `resnet50-11ad3fa6.pth`. */
  fileName: z.string(),
  url: z.string(),
  /** Start of the file's SHA-256 (lowercase hex), checked after download. */
  sha256Prefix: z.string(),
  /** ImageNet-1K validation accuracy in percent, as torchvision reports it. */
  top1: z.number(),
  top5: z.number(),
  /** Learned parameters with the 1000-class head. */
  parameters: z.number().int().positive(),
  /** Billions of multiply-adds of one 224×224 forward pass. */
  gflops: z.number().positive(),
  /** The evaluation transform the weights were measured with. */
  resizeSize: z.number().int().positive(),
  cropSize: z.number().int().positive(),
  /** The variant used when none is named. */
  isDefault: z.boolean(),
  /** What torchvision's `DEFAULT` alias points to. */
  isTorchvisionDefault: z.boolean(),
  /** Whether the file is in the weights folder or ships with the app (every file there was checked on arrival). */
  present: z.boolean(),
  /** Ships with the app (the installer carries it; checked at packaging time), so no download is needed. */
  bundled: z.boolean(),
  /** Where the file is, or will be once downloaded. */
  path: z.string(),
  /** Size on disk when present. */
  bytes: z.number().int().nonnegative().optional(),
});

/** A checkpoint imported from a local file that matches no catalog entry (e.g. a fine-tuned model). */
export const importedWeightsEntrySchema = z.strictObject({
  /** The stored copy in the weights folder. */
  path: z.string(),
  fileName: z.string(),
  /** The file it was imported from. */
  source: z.string(),
  depth: resnetDepthSchema,
  numClasses: z.number().int().positive(),
  /** Full SHA-256, lowercase hex. */
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  /** ISO 8601 time of the import. */
  importedAt: z.string(),
});

export const modelInfoSchema = z.strictObject({
  depth: resnetDepthSchema,
  block: z.enum(['basic', 'bottleneck']),
  /** Blocks in layer1..layer4. */
  layers: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
  /** Channels entering the classifier head. */
  featureChannels: z.number().int().positive(),
  /** Learned parameters with torchvision's 1000-class ImageNet head. */
  parameters: z.number().int().positive(),
  /** Learned parameters without the head (what a new head is added to). */
  backboneParameters: z.number().int().positive(),
  /** Multiply-adds of one 224×224 forward pass in billions (what torchvision lists as GFLOPS). */
  gflops: z.number().positive(),
});

// ---------------------------------------------------------------------------------------------
// Data sets

/**
 * A path the engine is asked to read or write. Absolute, because the engine's working directory
 * means nothing to the UI; whether it exists is checked by the service (NOT_FOUND).
 */
export const absolutePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), { message: 'expected an absolute path' });

const splitSummarySchema = z.strictObject({
  root: z.string(),
  /** Usable images. */
  images: z.number().int().nonnegative(),
  classes: z.array(z.strictObject({ name: z.string(), index: z.number().int().nonnegative(), images: z.number().int().nonnegative(), unusable: z.number().int().nonnegative() })),
  /** Files and folders that cannot be used; `reason` is a stable kebab-case code, `detail` a sentence. */
  issues: z.array(z.strictObject({ path: z.string(), reason: z.string(), detail: z.string() })),
  /** Usable files worth a look. */
  warnings: z.array(z.strictObject({ path: z.string(), reason: z.string(), detail: z.string() })),
  hiddenSkipped: z.number().int().nonnegative(),
  /** Null when no class has an image. */
  imbalance: z
    .strictObject({
      largest: z.strictObject({ name: z.string(), images: z.number().int() }),
      smallest: z.strictObject({ name: z.string(), images: z.number().int() }),
      ratio: z.number(),
    })
    .nullable(),
});

/** What `resnet-workbench scan --json` prints: the train split's fields, then the comparison. */
export const scanSummarySchema = splitSummarySchema.extend({
  test: splitSummarySchema.nullable(),
  classesInOneSplit: z.strictObject({ trainOnly: z.array(z.string()), testOnly: z.array(z.string()) }).nullable(),
  /** The same content in both splits (matched by SHA-256): test accuracy measured on training images. */
  sharedImages: z.array(z.strictObject({ sha256: z.string(), train: z.array(z.string()), test: z.array(z.string()) })).nullable(),
});

// ---------------------------------------------------------------------------------------------
// Runs

export const RUN_STATUSES = ['running', 'finished', 'failed', 'cancelled', 'interrupted'] as const;
/**
 * 'interrupted': the run folder holds no final report and no failure, and no run of this engine is
 * working on it (the process died, or the machine went down).
 */
export const runStatusSchema = z.enum(RUN_STATUSES);

export const runIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'expected a run id (letters, digits, dot, dash, underscore)' });

export const runFactsSchema = z.strictObject({
  classes: z.array(z.string()),
  weightsSource: z.string(),
  weightsSha256: z.string().nullable(),
  appVersion: z.string(),
  createdAt: z.string(),
});

function runEventRecord<E extends RunEventName>(event: E) {
  return z.strictObject({ event: z.literal(event), payload: RUN_EVENT_SCHEMAS[event] });
}

/** One recorded run event, shaped like the live event a listener receives. */
export const runEventRecordSchema = z.discriminatedUnion('event', [
  runEventRecord('run.started'),
  runEventRecord('run.progress'),
  runEventRecord('run.batch'),
  runEventRecord('run.epoch'),
  runEventRecord('run.evaluation'),
  runEventRecord('run.skipped'),
  runEventRecord('run.finished'),
  runEventRecord('run.failed'),
]);

export const runSummarySchema = z.strictObject({
  runId: z.string(),
  folder: z.string(),
  status: runStatusSchema,
  /** ISO 8601 time the run folder was made. */
  createdAt: z.string(),
  depth: resnetDepthSchema,
  mode: z.enum(['linear', 'finetune']),
  classes: z.array(z.string()),
  /** The best epoch's accuracy on the evaluation images; null until the run finishes. */
  testAccuracy: z.number().nullable(),
  /** The name and note the user gave the run; null when none. */
  name: z.string().nullable(),
  note: z.string().nullable(),
  /** Whether a model was saved after at least one epoch (it can be opened, exported and resumed). */
  hasCheckpoint: z.boolean(),
});

/** A run's name and note, as the user wrote them (runs.label). */
export const RUN_NAME_MAX = 80;
export const RUN_NOTE_MAX = 2000;
export const runLabelSchema = z.strictObject({
  name: z.string().trim().max(RUN_NAME_MAX).nullable(),
  note: z.string().trim().max(RUN_NOTE_MAX).nullable(),
});

// ---------------------------------------------------------------------------------------------
// Models and weights

/** Mirrors node/export/modelCard.ts EXPORT_FORMATS (the service's types check that they agree). */
export const exportFormatSchema = z.enum(['tfjs', 'onnx', 'pth', 'safetensors']);

/** An export's base name: one file name, valid on every desktop system (common/exportNames.ts). */
export const exportBaseNameSchema = z
  .string()
  .max(MAX_EXPORT_NAME_LENGTH)
  .superRefine((name, context) => {
    const problem = exportNameProblem(name);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });

/** A new folder's name: one name, by the same rule as an export's (common/exportNames.ts). */
export const folderNameSchema = exportBaseNameSchema;

/** One file of an export that browser mode offers as a download. */
export const exportDownloadSchema = z.strictObject({
  /** The model (a zip of the folder for tfjs) or its card. */
  kind: z.enum(['model', 'card']),
  /** Same-origin path, `/download/<id>`; valid for a limited time. */
  url: z.string().regex(/^\/download\/[A-Za-z0-9_-]{16,64}$/),
  /** The name the browser saves it under. */
  fileName: z.string().min(1).max(255),
});

export const topClassSchema = z.strictObject({ index: z.number().int().nonnegative(), label: z.string(), probability: z.number() });

export const filePredictionSchema = z.union([
  z.strictObject({ file: z.string(), top: z.array(topClassSchema) }),
  z.strictObject({ file: z.string(), error: errorDataSchema }),
]);

export const weightsImportResultSchema = z.strictObject({
  /** 'pretrained': the file is one of torchvision's checkpoints; 'imported': one of the user's own. */
  kind: z.enum(['pretrained', 'imported']),
  path: z.string(),
  source: z.string(),
  depth: resnetDepthSchema,
  numClasses: z.number().int().positive(),
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  /** True when an identical file was already stored (nothing was copied). */
  alreadyPresent: z.boolean(),
  /** torchvision's name when kind is 'pretrained'. */
  torchvisionName: z.string().nullable(),
});

// ---------------------------------------------------------------------------------------------
// Files and images (what a browser needs to see the engine's disk)

export const browseEntrySchema = z.strictObject({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['folder', 'file']),
});

/** An image sent by the UI itself (dropped or picked on the user's own machine), base64-encoded. */
export const uploadedImageSchema = z.strictObject({
  /** The file's name, shown in results; not a path. */
  name: z.string().min(1).max(255),
  /** The file's bytes in base64 (at most ~20 MB of image). */
  data: z
    .string()
    .min(1)
    .max(28_000_000)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, { message: 'expected base64' }),
});

export const thumbnailSchema = z.union([
  z.strictObject({ path: z.string(), dataUrl: z.string(), width: z.number().int().positive(), height: z.number().int().positive() }),
  z.strictObject({ path: z.string(), error: errorDataSchema }),
]);

/** One evaluation image of a confusion-matrix cell. */
export const cellImageSchema = z.strictObject({
  file: z.string(),
  /** Softmax probability of the predicted class. */
  confidence: z.number(),
});

// ---------------------------------------------------------------------------------------------
// The maps

export interface CallSchema<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  /** One line for people: what the call does. */
  description: string;
  params: P;
  result: R;
}

function defineCall<P extends z.ZodType, R extends z.ZodType>(call: CallSchema<P, R>): CallSchema<P, R> {
  return call;
}

/** Request/reply calls. */
export const CALLS = {
  'engine.info': defineCall({
    description: 'The active compute backend, library versions and what the backend can do.',
    params: noParams,
    result: engineInfoSchema,
  }),
  'weights.list': defineCall({
    description: 'torchvision’s ImageNet checkpoints with which are present, and the imported ones.',
    params: noParams,
    result: z.strictObject({ pretrained: z.array(pretrainedWeightsEntrySchema), imported: z.array(importedWeightsEntrySchema) }),
  }),
  'models.catalog': defineCall({
    description: 'The ResNet depths with their size and cost.',
    params: noParams,
    result: z.strictObject({ models: z.array(modelInfoSchema) }),
  }),
  'dataset.scan': defineCall({
    description: 'The health report of a train folder (and a test folder against it): classes, counts, issues, imbalance, leakage.',
    params: z.strictObject({ train: absolutePathSchema, test: absolutePathSchema.optional() }),
    result: scanSummarySchema,
  }),
  'runs.start': defineCall({
    description: 'Starts a training run in the background; its progress arrives as run.* events.',
    params: z.strictObject({ config: runConfigSchema }),
    result: z.strictObject({ runId: z.string(), folder: z.string() }),
  }),
  'runs.cancel': defineCall({
    description: 'Asks a running run to stop; false when it is not running here.',
    params: z.strictObject({ runId: runIdSchema }),
    result: z.strictObject({ cancelled: z.boolean() }),
  }),
  'runs.get': defineCall({
    description: 'Everything about one run: its settings, status, every event so far and the final report.',
    params: z.strictObject({ runId: runIdSchema }),
    result: z.strictObject({
      runId: z.string(),
      folder: z.string(),
      config: runConfigSchema,
      /** Null while the run is still scanning its data (the run folder is made after that). */
      facts: runFactsSchema.nullable(),
      status: runStatusSchema,
      /** In order, as metrics.jsonl holds them (before the folder exists: as the engine sent them). */
      events: z.array(runEventRecordSchema),
      /** report.json once the run has finished. */
      report: z.record(z.string(), z.unknown()).nullable(),
      /** The name and note the user gave the run. */
      label: runLabelSchema,
    }),
  }),
  'runs.label': defineCall({
    description: 'Names a run and keeps a note with it (empty text clears either).',
    params: z.strictObject({ runId: runIdSchema, label: runLabelSchema }),
    result: runLabelSchema,
  }),
  'runs.delete': defineCall({
    description: 'Deletes a run that is not running, with its folder (checkpoints, metrics, features).',
    params: z.strictObject({ runId: runIdSchema }),
    result: z.strictObject({ deleted: z.boolean() }),
  }),
  'runs.resume': defineCall({
    description: 'Continues a cancelled, failed or interrupted run from its last checkpoint, with its own settings.',
    params: z.strictObject({ runId: runIdSchema }),
    result: z.strictObject({ runId: z.string(), folder: z.string() }),
  }),
  'runs.list': defineCall({
    description: 'Past and current runs in the runs folder, newest first.',
    params: noParams,
    result: z.strictObject({ runs: z.array(runSummarySchema) }),
  }),
  'models.export': defineCall({
    description: 'Writes a run’s model in another format, with its model card beside it.',
    params: z.strictObject({
      runId: runIdSchema,
      format: exportFormatSchema,
      /** The file (a folder for tfjs) to write. Without it: `name` in the engine's exports folder. */
      out: absolutePathSchema.optional(),
      /** The base name in the exports folder (`<name>.onnx`, `<name>-tfjs`); used only without `out`. */
      name: exportBaseNameSchema.optional(),
      /** Replace an earlier export at that path (and its card). Default false. */
      force: z.boolean().optional(),
    }),
    result: z.strictObject({
      format: exportFormatSchema,
      path: z.string(),
      /** Where the model card was written. */
      card: z.string(),
      /** The model card itself (Markdown). */
      cardText: z.string(),
      /** Browser mode: addresses this server serves what was written at, for a download (none elsewhere). */
      downloads: z.array(exportDownloadSchema).optional(),
    }),
  }),
  'models.predict': defineCall({
    description: 'Top-k classes of image files from a run (by id) or an exported model (by path).',
    params: z.strictObject({
      /** A run id, or the absolute path of a run folder or of anything models.export wrote. */
      model: z.string().min(1).max(4096),
      files: z.array(absolutePathSchema).min(1).max(1000),
      /** Default 5. */
      topK: z.number().int().min(1).max(1000).default(5),
    }),
    result: z.strictObject({ labels: z.array(z.string()), predictions: z.array(filePredictionSchema) }),
  }),
  'jobs.export': defineCall({
    description: 'Writes a folder that trains a run (or a configuration) with PyTorch under torchrun, on a cluster: script, launch lines, settings, splits and starting weights.',
    params: z
      .strictObject({
        /** The run whose settings the job trains; or `config`, the Train screen's settings. */
        runId: runIdSchema.optional(),
        config: runConfigSchema.optional(),
        /** The job folder: new, empty, or (with force) an earlier job. */
        out: absolutePathSchema,
        force: z.boolean().optional(),
      })
      .refine((p) => (p.runId === undefined) !== (p.config === undefined), 'give either runId or config'),
    result: z.strictObject({
      folder: z.string(),
      id: z.string(),
      files: z.array(z.string()),
      images: z.strictObject({ train: z.number().int(), validation: z.number().int(), test: z.number().int().nullable() }),
      /** The starting weights copied into the job. */
      weights: z.strictObject({ file: z.string(), source: z.string(), sha256: z.string(), bytes: z.number().int() }),
    }),
  }),
  'jobs.import': defineCall({
    description: 'Checks a finished cluster job (or a run folder) and adds it to the runs folder as a run.',
    params: z.strictObject({ folder: absolutePathSchema }),
    result: z.strictObject({
      runId: z.string(),
      folder: z.string(),
      epochsRun: z.number().int(),
      validationAccuracy: z.number().nullable(),
      testAccuracy: z.number().nullable(),
      files: z.array(z.string()),
    }),
  }),
  'weights.download': defineCall({
    description: 'Fetches torchvision’s ImageNet checkpoint into the weights folder (progress as weights.progress events).',
    params: z.strictObject({ depth: resnetDepthSchema, variant: weightsVariantSchema.optional() }),
    result: z.strictObject({ path: z.string(), downloaded: z.boolean() }),
  }),
  'weights.import': defineCall({
    description: 'Brings a local checkpoint file into the weights folder (for machines without internet).',
    params: z.strictObject({ file: absolutePathSchema, depth: resnetDepthSchema.optional(), variant: weightsVariantSchema.optional() }),
    result: weightsImportResultSchema,
  }),
  'weights.reachable': defineCall({
    description: 'Whether torchvision’s ImageNet checkpoint could be downloaded from here now (asked before a run that needs it starts).',
    params: z.strictObject({ depth: resnetDepthSchema, variant: weightsVariantSchema.optional() }),
    result: z.strictObject({
      reachable: z.boolean(),
      /** The server asked, e.g. `download.pytorch.org`. */
      host: z.string(),
      /** Why not, in words; null when reachable. */
      reason: z.string().nullable(),
    }),
  }),
  'files.browse': defineCall({
    description: 'The folders (and optionally image and checkpoint files) inside a folder the engine may read; the roots when no path is given.',
    params: z
      .strictObject({
        path: absolutePathSchema.optional(),
        /** Default 'folders'. 'images' adds image files, 'all' every file. */
        include: z.enum(['folders', 'images', 'all']).default('folders'),
      })
      .optional(),
    result: z.strictObject({
      /** The folder listed; null when the roots are listed. */
      path: z.string().nullable(),
      /** The folder above, when it is still inside a root; null at a root. */
      parent: z.string().nullable(),
      /** Where browsing may start (browser mode: its data roots and the runs folder). */
      roots: z.array(z.string()),
      /** Folders first, then files, each sorted by name; hidden entries are left out. */
      entries: z.array(browseEntrySchema),
      /** True when the folder held more entries than were listed (at most 2000). */
      truncated: z.boolean(),
    }),
  }),
  'files.mkdir': defineCall({
    description: 'Makes a new, empty folder inside a folder the engine may write to (not inside a run’s image folders).',
    params: z.strictObject({ parent: absolutePathSchema, name: folderNameSchema }),
    result: z.strictObject({ path: z.string() }),
  }),
  'images.thumbnails': defineCall({
    description: 'Small previews of image files (JPEG data URLs), for scan reports and galleries.',
    params: z.strictObject({
      paths: z.array(absolutePathSchema).min(1).max(200),
      /** Longest side in pixels. Default 128. */
      size: z.number().int().min(16).max(512).default(128),
    }),
    result: z.strictObject({ thumbnails: z.array(thumbnailSchema) }),
  }),
  'models.classify': defineCall({
    description: 'Top-k classes of images sent with the call (dropped or picked in the UI), from a run or an exported model.',
    params: z.strictObject({
      /** A run id, or the absolute path of a run folder or of anything models.export wrote. */
      model: z.string().min(1).max(4096),
      images: z.array(uploadedImageSchema).min(1).max(32),
      /** Default 5. */
      topK: z.number().int().min(1).max(1000).default(5),
    }),
    result: z.strictObject({ labels: z.array(z.string()), predictions: z.array(filePredictionSchema) }),
  }),
  'runs.images': defineCall({
    description: 'The evaluation images of one confusion-matrix cell (actual × predicted) at an epoch, most confident first.',
    params: z.strictObject({
      runId: runIdSchema,
      /** Default: the latest evaluated epoch. Per-image results are kept for the latest and the best epoch. */
      epoch: z.number().int().min(1).optional(),
      /** Class indices (rows and columns of the matrix). */
      actual: z.number().int().min(0),
      predicted: z.number().int().min(0),
      /** Default 200. */
      limit: z.number().int().min(1).max(5000).default(200),
    }),
    result: z.strictObject({
      epoch: z.number().int().min(1),
      actual: z.string(),
      predicted: z.string(),
      /** Images in the cell (the list may be shorter: see `limit`). */
      total: z.number().int().min(0),
      images: z.array(cellImageSchema),
    }),
  }),
} satisfies Record<`${string}.${string}`, CallSchema>;

function runEventEntry<E extends RunEventName>(event: E, description: string): EventSchema<(typeof RUN_EVENT_SCHEMAS)[E]> {
  return { description, payload: RUN_EVENT_SCHEMAS[event] };
}

/** Events pushed from the engine to the UI. */
export const EVENTS = {
  'engine.ready': {
    description: 'The engine has chosen its backend (sent once after start-up).',
    payload: engineInfoSchema,
  },
  'weights.progress': {
    description: 'Bytes of a weights download so far (at most a few a second, and once at the end).',
    payload: z.strictObject({
      depth: resnetDepthSchema,
      variant: weightsVariantSchema,
      bytes: z.number().nonnegative(),
      /** Null when the server does not say. */
      total: z.number().nonnegative().nullable(),
      bytesPerSecond: z.number().nonnegative(),
    }),
  },
  // The trainer's own events, with the schemas it emits and metrics.jsonl stores.
  'run.started': runEventEntry('run.started', 'A run has its data and weights and its folder exists.'),
  'run.progress': runEventEntry('run.progress', 'Phase, progress and ETA of a run.'),
  'run.batch': runEventEntry('run.batch', 'A training batch’s loss (throttled by the trainer to about 8 a second).'),
  'run.epoch': runEventEntry('run.epoch', 'An epoch’s train and evaluation loss and accuracy.'),
  'run.evaluation': runEventEntry('run.evaluation', 'An epoch’s confusion matrix, per-class scores and misclassified images.'),
  'run.skipped': runEventEntry('run.skipped', 'Files the run could not use, with path and reason (skipped, never fatal).'),
  'run.finished': runEventEntry('run.finished', 'A run ended with its report written.'),
  'run.failed': runEventEntry('run.failed', 'A run ended with an error (CANCELLED when it was cancelled).'),
} satisfies Record<`${string}.${string}`, EventSchema>;

export interface EventSchema<T extends z.ZodType = z.ZodType> {
  description: string;
  payload: T;
}

// ---------------------------------------------------------------------------------------------
// Types derived from the maps

export type CallName = keyof typeof CALLS;
export type EventName = keyof typeof EVENTS;

/** What a caller may pass (before defaults are applied). */
export type CallParamsInput<C extends CallName> = z.input<(typeof CALLS)[C]['params']>;
/** What the implementation receives (after validation). */
export type CallParams<C extends CallName> = z.output<(typeof CALLS)[C]['params']>;
export type CallResult<C extends CallName> = z.output<(typeof CALLS)[C]['result']>;
export type EventPayload<E extends EventName> = z.output<(typeof EVENTS)[E]['payload']>;

export type EngineInfo = z.output<typeof engineInfoSchema>;
export type PretrainedWeightsEntry = z.output<typeof pretrainedWeightsEntrySchema>;
export type ImportedWeightsEntry = z.output<typeof importedWeightsEntrySchema>;
export type ModelInfo = z.output<typeof modelInfoSchema>;
export type ScanSummaryData = z.output<typeof scanSummarySchema>;
export type RunStatus = z.output<typeof runStatusSchema>;
export type RunSummary = z.output<typeof runSummarySchema>;
export type RunEventRecord = z.output<typeof runEventRecordSchema>;
export type FilePrediction = z.output<typeof filePredictionSchema>;
export type WeightsImportResultData = z.output<typeof weightsImportResultSchema>;

export type BrowseEntry = z.output<typeof browseEntrySchema>;
export type Thumbnail = z.output<typeof thumbnailSchema>;
export type CellImage = z.output<typeof cellImageSchema>;
export type UploadedImage = z.output<typeof uploadedImageSchema>;

/** The reply envelope every transport carries. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

export type Unsubscribe = () => void;

type GroupOf<N> = N extends `${infer G}.${string}` ? G : never;
export type CallGroup = GroupOf<CallName>;

type CallMethod<C extends CallName> = undefined extends CallParamsInput<C>
  ? (params?: CallParamsInput<C>) => Promise<Reply<CallResult<C>>>
  : (params: CallParamsInput<C>) => Promise<Reply<CallResult<C>>>;

type GroupMethods<G extends string> = {
  [C in CallName as C extends `${G}.${infer M}` ? M : never]: CallMethod<C>;
};

/**
 * What the renderer sees, whichever transport carries it: `api.engine.info()`,
 * `api.models.catalog()`, … and `api.on('run.epoch', listener)` returning an unsubscribe function.
 */
export type WorkbenchApi = { readonly [G in CallGroup]: GroupMethods<G> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
  /**
   * Native open dialogs: present in the desktop app only. A browser cannot name files on the engine's
   * machine, so there the UI browses with `files.browse` instead.
   */
  readonly dialogs?: DesktopDialogs;
};

/** What a native open dialog should offer. */
export const pickPathsOptionsSchema = z.strictObject({
  kind: z.enum(['folder', 'file']),
  title: z.string().max(200).optional(),
  /** File-type filters, e.g. `[{ name: 'Images', extensions: ['png', 'jpg'] }]`. */
  filters: z
    .array(z.strictObject({ name: z.string().max(100), extensions: z.array(z.string().regex(/^[A-Za-z0-9*]{1,16}$/)).max(30) }))
    .max(10)
    .optional(),
  /** Default false. */
  multiple: z.boolean().optional(),
});
export type PickPathsOptions = z.input<typeof pickPathsOptionsSchema>;

export interface DesktopDialogs {
  /** The chosen absolute paths; empty when the user cancelled. */
  pickPaths(options: PickPathsOptions): Promise<string[]>;
  /**
   * Shows a file or folder an export of this session wrote in the system's file manager (selected
   * in its folder). Anything else is refused: the promise rejects.
   */
  showInFolder(path: string): Promise<void>;
}

/** The IPC channel of the native open dialog (desktop app only; not a contract call). */
export const PICK_PATHS_CHANNEL = 'workbench:dialog:pick-paths';

/** The IPC channel of "Show in folder" (desktop app only; not a contract call). */
export const SHOW_IN_FOLDER_CHANNEL = 'workbench:shell:show-in-folder';

/** What an implementation of the contract provides: one function per call, on validated params. */
export type WorkbenchHandlers = {
  [C in CallName]: (params: CallParams<C>) => Promise<CallResult<C>> | CallResult<C>;
};

// ---------------------------------------------------------------------------------------------
// Runtime helpers

export const CALL_NAMES = Object.keys(CALLS) as CallName[];
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && Object.hasOwn(CALLS, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(EVENTS, value);
}

/** Splits `group.method`; call names have exactly one dot (checked by the contract's tests). */
export function splitCallName(call: CallName): { group: CallGroup; method: string } {
  const dot = call.indexOf('.');
  return { group: call.slice(0, dot) as CallGroup, method: call.slice(dot + 1) };
}

/** The IPC channel carrying a call; namespaced so nothing else can collide with it. */
export function callChannel(call: CallName): string {
  return `workbench:call:${call}`;
}

/** The IPC channel carrying an event. */
export function eventChannel(event: EventName): string {
  return `workbench:event:${event}`;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

// The maps' schemas are typed per entry; indexing them by a generic name loses that link, which the
// callers restore through their return types.
function validate<T>(schema: z.ZodType, value: unknown, what: string, code: ErrorData['code']): Validation<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data as T };
  return { ok: false, error: { code, message: `${what}: ${describeIssues(parsed.error)}` } };
}

/** Checks what a caller sent; a mismatch is the caller's fault (BAD_INPUT), said as the values it refuses. */
export function validateParams<C extends CallName>(call: C, raw: unknown): Validation<CallParams<C>> {
  return validate(CALLS[call].params, raw, 'Not accepted', 'BAD_INPUT');
}

/** Checks what an implementation returned; a mismatch is our bug (INTERNAL). */
export function validateResult<C extends CallName>(call: C, raw: unknown): Validation<CallResult<C>> {
  return validate(CALLS[call].result, raw, `The result of '${call}' does not match the contract`, 'INTERNAL');
}

export function validateEventPayload<E extends EventName>(event: E, raw: unknown): Validation<EventPayload<E>> {
  return validate(EVENTS[event].payload, raw, `The payload of '${event}' does not match the contract`, 'INTERNAL');
}

const replySchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: errorDataSchema }),
]);

/**
 * Checks a reply received from a transport (the WebSocket client, tests): the envelope's shape and,
 * when it succeeded, the value against the call's result schema.
 */
export function parseReply<C extends CallName>(call: C, raw: unknown): Reply<CallResult<C>> {
  const envelope = replySchema.safeParse(raw);
  if (!envelope.success) {
    return { ok: false, error: { code: 'INTERNAL', message: `The reply to '${call}' is not an envelope: ${describeIssues(envelope.error)}` } };
  }
  if (!envelope.data.ok) return envelope.data;
  return validateResult(call, envelope.data.value);
}

export function replyError(error: ErrorData): Reply<never> {
  return { ok: false, error };
}
