/**
 * The training form as plain data: its state, the run config it becomes, and a message per field
 * that the run config schema rejects. The defaults are the schema's own (parsed, not copied), so the
 * form, the CLI and config.json always agree.
 */
import type { z } from 'zod';
import { runConfigSchema, withVariantCrop, type RunConfig, type TrainingMode, type UnfreezeDepth } from '../../../src-main/common/runConfig';
import type { ResNetDepth } from '../../../src-main/common/resnetSpec';
import type { ScheduleName } from '../../../src-main/common/schedules';

/** Every default of the run config schema (the train folder is a stand-in the schema requires). */
export const RUN_CONFIG_DEFAULTS: Readonly<RunConfig> = runConfigSchema.parse({ trainDir: 'x' });

/**
 * A number typed into a field: number inputs hand back the text they hold when it is not a number
 * (or is empty), so a field's value is a number or that text.
 */
export type NumberField = number | string;

export interface TrainFormState {
  depth: ResNetDepth;
  /** 'imagenet', 'none' (random initialisation) or the path of a checkpoint. */
  weights: string;
  weightsVariant: RunConfig['weightsVariant'];
  mode: TrainingMode;
  unfreeze: UnfreezeDepth;
  epochs: NumberField;
  lr: NumberField;
  backboneLrScale: NumberField;
  batchSize: NumberField;
  optimizer: RunConfig['optimizer'];
  momentum: NumberField;
  weightDecay: NumberField;
  schedule: ScheduleName;
  imageSize: NumberField;
  /** Empty: the weights variant's own (V1 resize 256 crop 224, V2 resize 232 crop 224). */
  crop: NumberField;
  augment: boolean;
  views: NumberField;
  /** Empty: never stop early. */
  patience: NumberField;
  seed: NumberField;
  valSplit: NumberField;
  selectEpoch: RunConfig['selectEpoch'];
  inferenceEngine: RunConfig['inferenceEngine'];
  provider: RunConfig['provider'];
  /** Empty: physical cores. */
  threads: NumberField;
}

export type TrainFormField = keyof TrainFormState;

/** What a person calls each setting, for messages. */
export const FIELD_LABELS: Readonly<Record<TrainFormField | 'trainDir' | 'testDir', string>> = {
  trainDir: 'Train folder',
  testDir: 'Test folder',
  depth: 'Depth',
  weights: 'Weights',
  weightsVariant: 'Weights variant',
  mode: 'Mode',
  unfreeze: 'Unfreeze',
  epochs: 'Epochs',
  lr: 'Learning rate',
  backboneLrScale: 'Backbone learning-rate scale',
  batchSize: 'Batch size',
  optimizer: 'Optimizer',
  momentum: 'Momentum',
  weightDecay: 'Weight decay',
  schedule: 'Schedule',
  imageSize: 'Image size',
  crop: 'Evaluation crop',
  augment: 'Augmentation',
  views: 'Augmented views',
  patience: 'Patience',
  seed: 'Seed',
  valSplit: 'Validation fraction',
  selectEpoch: 'Kept epoch',
  inferenceEngine: 'Feature engine',
  provider: 'Compute device',
  threads: 'Threads',
};

export function defaultTrainForm(): TrainFormState {
  const d = RUN_CONFIG_DEFAULTS;
  return {
    depth: d.depth,
    weights: d.weights,
    weightsVariant: d.weightsVariant,
    mode: d.mode,
    unfreeze: d.unfreeze,
    epochs: d.epochs,
    lr: d.lr,
    backboneLrScale: d.backboneLrScale,
    batchSize: d.batchSize,
    optimizer: d.optimizer,
    momentum: d.momentum,
    weightDecay: d.weightDecay,
    schedule: d.schedule,
    imageSize: d.imageSize,
    crop: '',
    augment: d.augment,
    views: d.views,
    patience: d.patience ?? '',
    seed: d.seed,
    valSplit: d.valSplit,
    selectEpoch: d.selectEpoch,
    inferenceEngine: d.inferenceEngine,
    provider: d.provider,
    threads: d.threads ?? '',
  };
}

/** A field's number; text that is not one becomes NaN so the schema names the field. */
function toNumber(value: NumberField): number {
  if (typeof value === 'number') return value;
  const text = value.trim();
  return text === '' ? Number.NaN : Number(text);
}

export interface DataFolders {
  trainDir: string | null;
  testDir: string | null;
}

/** The run config the form describes (not yet validated). */
export function toRunConfigInput(form: TrainFormState, folders: DataFolders): Record<string, unknown> {
  const optional = (value: NumberField): number | undefined => (typeof value === 'string' && value.trim() === '' ? undefined : toNumber(value));
  const patience = optional(form.patience);
  const threads = optional(form.threads);
  const crop = optional(form.crop);
  return {
    trainDir: folders.trainDir ?? '',
    ...(folders.testDir ? { testDir: folders.testDir } : {}),
    valSplit: toNumber(form.valSplit),
    selectEpoch: form.selectEpoch,
    depth: form.depth,
    weights: form.weights,
    weightsVariant: form.weightsVariant,
    mode: form.mode,
    unfreeze: form.unfreeze,
    epochs: toNumber(form.epochs),
    lr: toNumber(form.lr),
    backboneLrScale: toNumber(form.backboneLrScale),
    batchSize: toNumber(form.batchSize),
    optimizer: form.optimizer,
    momentum: toNumber(form.momentum),
    weightDecay: toNumber(form.weightDecay),
    schedule: form.schedule,
    imageSize: toNumber(form.imageSize),
    ...(crop === undefined ? {} : { crop }),
    augment: form.augment,
    views: toNumber(form.views),
    ...(patience === undefined ? {} : { patience }),
    seed: toNumber(form.seed),
    inferenceEngine: form.inferenceEngine,
    provider: form.provider,
    ...(threads === undefined ? {} : { threads }),
  };
}

function bound(value: unknown): string {
  return typeof value === 'bigint' || typeof value === 'number' ? String(value) : '?';
}

/** One schema issue as the end of a sentence a person can act on. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number';
      if (issue.expected === 'number') return 'must be a number';
      return `must be a ${issue.expected}`;
    case 'too_small':
      if (issue.origin === 'string') return 'is required';
      return issue.inclusive ? `must be at least ${bound(issue.minimum)}` : `must be more than ${bound(issue.minimum)}`;
    case 'too_big':
      return issue.inclusive ? `must be at most ${bound(issue.maximum)}` : `must be less than ${bound(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      return 'is not one of the choices';
    default:
      return issue.message;
  }
}

/** By field; `config` holds what belongs to no field of the form. */
export type TrainFormErrors = Partial<Record<TrainFormField | 'trainDir' | 'testDir' | 'config', string>>;

export type TrainFormValidation = { ok: true; config: RunConfig } | { ok: false; errors: TrainFormErrors };

/** The run config, or one message per rejected field (the first issue of each). */
/**
 * Settings that contradict each other, said in the form's words on the field to change (the engine
 * refuses the same combinations: runConfigConflicts).
 */
function conflictsInWords(config: RunConfig): TrainFormErrors {
  if (config.valSplit !== 0) return {};
  if (!config.testDir) return { valSplit: 'A validation fraction of 0 leaves no image to evaluate on without a test folder: choose a test folder on the Data screen, or a fraction above 0.' };
  if (config.selectEpoch === 'validation') return { valSplit: 'A validation fraction of 0 leaves nothing to choose the best epoch on: set Kept epoch to “the last epoch”, or a fraction above 0.' };
  if (config.patience !== undefined) return { patience: 'Patience watches validation accuracy, and a validation fraction of 0 holds out none: leave Patience empty, or a fraction above 0.' };
  return {};
}

/**
 * Numbers typed with a comma are not guessed at ("0,001" is a thousandth to some people and a
 * thousand to others): the field says how to write it.
 */
function commaErrors(form: TrainFormState): TrainFormErrors {
  const errors: TrainFormErrors = {};
  for (const [field, value] of Object.entries(form) as [TrainFormField, unknown][]) {
    if (typeof value === 'string' && value.includes(',') && Object.hasOwn(FIELD_LABELS, field)) {
      errors[field] = `${FIELD_LABELS[field]}: “${value.trim()}” has a comma; write decimals with a point (0.001) and no thousands separators.`;
    }
  }
  return errors;
}

export function validateTrainForm(form: TrainFormState, folders: DataFolders): TrainFormValidation {
  const commas = commaErrors(form);
  if (Object.keys(commas).length > 0) return { ok: false, errors: commas };
  const input = toRunConfigInput(form, folders);
  const parsed = runConfigSchema.safeParse(input);
  if (parsed.success) {
    const conflicts = conflictsInWords(parsed.data);
    return Object.keys(conflicts).length > 0 ? { ok: false, errors: conflicts } : { ok: true, config: withVariantCrop(input, parsed.data) };
  }
  const errors: TrainFormErrors = {};
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? '');
    if (!Object.hasOwn(FIELD_LABELS, name)) {
      errors.config ??= `${issue.path.join('.') || 'config'}: ${issue.message}`;
      continue;
    }
    const field = name as keyof typeof FIELD_LABELS;
    if (errors[field] !== undefined) continue;
    errors[field] =
      field === 'trainDir' && !folders.trainDir ? 'Choose a train folder on the Data screen first.' : `${FIELD_LABELS[field]} ${describeIssue(issue)}.`;
  }
  return { ok: false, errors };
}
