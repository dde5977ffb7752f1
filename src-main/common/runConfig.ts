/**
 * A training run's configuration: one schema shared by the CLI, the UI and the run folder's
 * config.json. Defaults follow the reference recipe (frozen ResNet-18, new head, Adam at 1e-3,
 * 10 epochs), done right: inference-mode BatchNorm, normalized inputs, features computed once.
 */
import { z } from 'zod';
import { RESNET_DEPTHS } from './resnetSpec';
import { SCHEDULES } from './schedules';

export const TRAINING_MODES = ['linear', 'finetune'] as const;
export type TrainingMode = (typeof TRAINING_MODES)[number];

/** How deep fine-tuning reaches: `layer4` trains layer4 + head, `layer3` also layer3, `all` everything. */
export const UNFREEZE_DEPTHS = ['layer4', 'layer3', 'all'] as const;
export type UnfreezeDepth = (typeof UNFREEZE_DEPTHS)[number];

/** Which engine runs the frozen forward passes: ONNX Runtime where it loads ('auto'), or one by name. */
export const INFERENCE_ENGINES = ['auto', 'onnxruntime', 'tfjs'] as const;
export type InferenceEngineChoice = (typeof INFERENCE_ENGINES)[number];

/** ONNX Runtime execution providers: CUDA (Linux x64), DirectML (Windows), CoreML (Apple Silicon), CPU. */
export const ONNX_PROVIDERS = ['cuda', 'dml', 'coreml', 'cpu'] as const;
export type OnnxProvider = (typeof ONNX_PROVIDERS)[number];
export const PROVIDER_CHOICES = ['auto', ...ONNX_PROVIDERS] as const;

export const SELECT_EPOCH = ['validation', 'last'] as const;
export type SelectEpoch = (typeof SELECT_EPOCH)[number];

const channelTriple = z.tuple([z.number(), z.number(), z.number()]);

export const runConfigSchema = z.strictObject({
  /** Train folder in ImageFolder layout. */
  trainDir: z.string().min(1),
  /** Test folder: scored once, at the end, on the chosen model; it never picks the best epoch. */
  testDir: z.string().min(1).optional(),
  /**
   * Stratified fraction of the train folder held out for validation, with or without a test folder:
   * validation picks the best epoch and drives early stopping. 0 holds nothing out and needs
   * `selectEpoch: 'last'` and a test folder. Default 0.2.
   */
  valSplit: z.number().min(0).lt(1).default(0.2),
  /**
   * Which epoch's model the run keeps: 'validation' (the best validation accuracy) or 'last' (the
   * last epoch, the only honest choice without a validation split). Default 'validation'.
   */
  selectEpoch: z.enum(SELECT_EPOCH).default('validation'),
  /** ResNet depth. Default 18. */
  depth: z.union(RESNET_DEPTHS.map((d) => z.literal(d))).default(18),
  /** 'imagenet' (torchvision's weights, cached or downloaded), 'none' (random init) or a checkpoint path. Default 'imagenet'. */
  weights: z.string().min(1).default('imagenet'),
  /** Which torchvision ImageNet weights. Default 'IMAGENET1K_V1'. */
  weightsVariant: z.enum(['IMAGENET1K_V1', 'IMAGENET1K_V2']).default('IMAGENET1K_V1'),
  /** 'linear': frozen backbone, head trained on cached features. 'finetune': also train backbone stages. Default 'linear'. */
  mode: z.enum(TRAINING_MODES).default('linear'),
  /** Fine-tune depth. Default 'layer4'. */
  unfreeze: z.enum(UNFREEZE_DEPTHS).default('layer4'),
  /** Default 10. */
  epochs: z.number().int().min(1).max(1000).default(10),
  /** Head learning rate. Default 1e-3. */
  lr: z.number().positive().max(10).default(1e-3),
  /** Backbone learning rate as a fraction of `lr` when fine-tuning. Default 0.1. */
  backboneLrScale: z.number().positive().max(1).default(0.1),
  /** Default 32. */
  batchSize: z.number().int().min(1).max(4096).default(32),
  /** Default 'adam'. */
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  /** SGD momentum. Default 0.9. */
  momentum: z.number().min(0).lt(1).default(0.9),
  /** L2 weight decay. Default 0. */
  weightDecay: z.number().min(0).max(1).default(0),
  /** Default 'constant'. */
  schedule: z.enum(SCHEDULES).default('constant'),
  /** Input side in pixels. Default 224. */
  imageSize: z.number().int().min(32).max(1024).default(224),
  /**
   * Eval center-crop fraction; 1 is a plain resize. Default: the weights variant's own (V1: 0.875,
   * i.e. resize 256 crop 224; V2: 224/232, i.e. resize 232 crop 224, as torchvision evaluates them).
   */
  crop: z.number().gt(0).max(1).default(0.875),
  /** Random resized crop + horizontal flip for training images. Default true. */
  augment: z.boolean().default(true),
  /** Linear mode with augmentation: augmented views cached per training image. Default 2. */
  views: z.number().int().min(1).max(16).default(2),
  /** Stop after this many epochs without a better validation accuracy; absent = never. */
  patience: z.number().int().min(1).optional(),
  /** Seed for shuffling, augmentation, splits and head initialisation. Default 0. */
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
  /** Per-channel normalization. Default ImageNet's. */
  mean: channelTriple.default([0.485, 0.456, 0.406]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.229, 0.224, 0.225]),
  /** Engine of the frozen forward passes (features, evaluation of linear runs). Default 'auto'. */
  inferenceEngine: z.enum(INFERENCE_ENGINES).default('auto'),
  /** ONNX Runtime execution provider. Default 'auto': the platform's fastest that passes its probe. */
  provider: z.enum(PROVIDER_CHOICES).default('auto'),
  /** ONNX Runtime intra-op threads; absent = physical cores. */
  threads: z.number().int().min(1).max(256).optional(),
});

export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfig = z.output<typeof runConfigSchema>;

/**
 * The eval center-crop fraction torchvision evaluates a weights variant at (its `transforms()`):
 * V1 resize 256 / crop 224, V2 resize 232 / crop 224.
 */
export function variantCrop(variant: RunConfig['weightsVariant']): number {
  return variant === 'IMAGENET1K_V2' ? 224 / 232 : 0.875;
}

/**
 * A parsed config whose crop follows its weights variant unless the input chose one (the schema's
 * default is V1's). Every caller that fills a config in, the CLI, the service and the Train screen, does this.
 */
export function withVariantCrop(input: { readonly crop?: unknown; readonly weights?: unknown }, parsed: RunConfig): RunConfig {
  return input.crop === undefined && (input.weights ?? 'imagenet') === 'imagenet' ? { ...parsed, crop: variantCrop(parsed.weightsVariant) } : parsed;
}

/** Settings that contradict each other, in plain words; empty when the configuration holds together. */
export function runConfigConflicts(config: RunConfig): string[] {
  const conflicts: string[] = [];
  if (config.valSplit === 0 && config.selectEpoch === 'validation') {
    conflicts.push("valSplit: 0 holds out no validation images, so nothing can choose the best epoch; choose selectEpoch 'last' (keep the last epoch) or a valSplit above 0");
  }
  if (config.valSplit === 0 && !config.testDir) conflicts.push('valSplit: 0 without a test folder leaves no image to evaluate on; give a test folder or a valSplit above 0');
  if (config.valSplit === 0 && config.patience !== undefined) conflicts.push('patience: early stopping watches validation accuracy, and valSplit 0 holds out no validation images');
  return conflicts;
}

/** Fill defaults and validate; throws an Error whose message names each offending field. */
export function resolveRunConfig(input: RunConfigInput): RunConfig {
  const parsed = runConfigSchema.safeParse(input);
  if (parsed.success) {
    const config = withVariantCrop(input, parsed.data);
    const conflicts = runConfigConflicts(config);
    if (conflicts.length > 0) throw new Error(conflicts.join('; '));
    return config;
  }
  throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`).join('; '));
}
