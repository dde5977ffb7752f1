/**
 * A whole training run, from folders to report: scan, choose the backend, load the backbone
 * weights, compute features (linear mode), train the head, evaluate every epoch, checkpoint, report.
 * Everything it learns is emitted as run events (common/runEvents.ts) and appended to metrics.jsonl.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { WorkbenchError, toErrorData } from '../../common/errors';
import type { RunConfig } from '../../common/runConfig';
import type { RunEvent, RunEventName, RunEventPayload, RunPhase } from '../../common/runEvents';
import { APP_VERSION } from '../appVersion';
import { runsFolder } from '../appPaths';
import { createBatchLoader, type LabeledImage } from '../dataset/batchLoader';
import { scanImageFolder, type ImageFolderScan } from '../dataset/scanImageFolder';
import { initBackend, type BackendInfo } from '../engine/backend';
import { buildResNet, HEAD_LAYER } from '../engine/resnet';
import { openFrozenNetwork, type FrozenNetwork, type InferenceEngineUsed, type InferenceRequest } from '../engine/frozenNetwork';
import { featureChannels } from '../../common/resnetSpec';
import { readCheckpoint } from '../weights/checkpointFile';
import { randomResNetStateDict } from '../weights/randomInit';
import type { StateDict } from '../weights/stateDict';
import { assertCheckpointFits, extractStateDict, loadStateDictIntoModel } from '../weights/torchvisionWeights';
import { ensureWeights, type EnsureWeightsOptions } from '../weights/weightsStore';
import { prepareRunData, type RunData } from './dataSplit';
import { evaluateLogits, type Evaluation, type ScoredEvaluation } from './evaluation';
import { writeEpochPredictions } from './epochPredictions';
import { concatFeatures, extractFeatures, type ExtractedFeatures } from './featureExtraction';
import { evaluateHead, initialHead, trainHead, type HeadEpochResult, type HeadTrainingState } from './headTrainer';
import { fineTune, predictLoader } from './fineTuner';
import { fineTuneStateFromStored, fineTuneStateToStored, fullModelMetadata } from './fineTuneCheckpoint';
import { fineTuneNetwork, frozenEnginePrefix, type FineTuneNetwork } from './splitNetwork';
import type { OptimizerConfig } from './optimizers';
import { headStateFromStored, headStateToStored, headWeightsToStored } from './headCheckpoint';
import {
  appendRunEvent,
  checkpointPath,
  createRunFolder,
  loadState,
  openRunFolder,
  saveState,
  writeRunReport,
  type RunRecord,
} from './runFolder';

export interface TrainRunOptions {
  config: RunConfig;
  /** Where run folders go. Default: the app data folder's runs/. */
  runsRoot?: string;
  /** Exact folder for this run (`--out`). Default: a new folder under runsRoot. */
  outFolder?: string;
  /** Continue the run in this folder (its config.json wins over `config`). */
  resume?: string;
  /** When ImageNet weights cannot be had, train from random initialisation instead of failing. Default false. */
  allowRandomFallback?: boolean;
  weightsOptions?: EnsureWeightsOptions;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Minimum milliseconds between run.batch events (the last batch of an epoch always goes). Default 125. */
  batchEventInterval?: number;
}

export interface RunReport {
  runId: string;
  folder: string;
  classes: string[];
  evalSplit: 'test' | 'validation';
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  /** Accuracy of the best epoch's head on the evaluation images. */
  testAccuracy: number;
  /**
   * Accuracy of the last epoch's model on the same images. The best epoch is chosen on the evaluation
   * images (the test folder when there is one), so `testAccuracy` is optimistic; this one is not.
   */
  lastEpochAccuracy: number | null;
  evaluation: Evaluation;
  history: HeadTrainingState['history'];
  backend: string;
  /** Which engine computed the frozen backbone's features (linear runs). */
  inference?: InferenceEngineUsed;
  weights: string;
  seconds: number;
  notices: string[];
}

interface ResolvedWeights {
  dict: StateDict;
  source: string;
  sha256: string | null;
  notice?: string;
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function resolveBackboneWeights(config: RunConfig, options: TrainRunOptions, progress: (done: number, total: number, message: string) => void): Promise<ResolvedWeights> {
  if (config.weights === 'none') return { dict: randomResNetStateDict(config.depth, 1000, config.seed), source: 'none', sha256: null };
  if (config.weights === 'imagenet') {
    try {
      const ensured = await ensureWeights(config.depth, config.weightsVariant, {
        ...options.weightsOptions,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => progress(p.bytes, p.total ?? 0, `downloading ResNet-${config.depth} ${config.weightsVariant} weights`),
      });
      return { dict: await readCheckpoint(ensured.path), source: `imagenet:${ensured.weights.fileName}`, sha256: await sha256Of(ensured.path) };
    } catch (error) {
      if (options.allowRandomFallback && error instanceof WorkbenchError && (error.code === 'OFFLINE' || error.code === 'NETWORK')) {
        return {
          dict: randomResNetStateDict(config.depth, 1000, config.seed),
          source: 'none',
          sha256: null,
          notice: `ImageNet weights for ResNet-${config.depth} could not be had (${error.message.split('\n')[0]}); training from random initialisation instead, so accuracy will be far lower.`,
        };
      }
      throw error;
    }
  }
  return { dict: await readCheckpoint(config.weights), source: config.weights, sha256: await sha256Of(config.weights) };
}

const FEATURES_FILE = 'features.safetensors';

export async function trainRun(options: TrainRunOptions): Promise<RunReport> {
  const started = performance.now();
  const runsRoot = options.runsRoot ?? runsFolder();
  let record: RunRecord | undefined;
  let runId = 'pending';
  const eventInterval = options.batchEventInterval ?? 125;
  // metrics.jsonl is appended in event order: one write at a time.
  let metricsWrites: Promise<void> = Promise.resolve();
  const emit = <E extends RunEventName>(event: E, payload: Omit<RunEventPayload<E>, 'runId'>): void => {
    const full = { event, payload: { runId, ...payload } } as unknown as RunEvent;
    options.onEvent?.(full);
    const target = record?.folder;
    if (target) metricsWrites = metricsWrites.then(() => appendRunEvent(target, full)).catch(() => undefined);
  };
  // Frequent events (batches, feature progress) are throttled to about 8 a second per kind.
  const lastSent = new Map<string, number>();
  const throttled = (kind: string, final: boolean): boolean => {
    const now = performance.now();
    if (!final && now - (lastSent.get(kind) ?? Number.NEGATIVE_INFINITY) < eventInterval) return true;
    lastSent.set(kind, now);
    return false;
  };
  const progress = (phase: RunPhase, done: number, total: number, etaSeconds: number | null, message?: string): void => {
    if (!message && throttled(`progress:${phase}`, done >= total)) return;
    emit('run.progress', { phase, done, total, etaSeconds, ...(message ? { message } : {}) });
  };

  let config = options.config;
  if (options.resume) {
    record = await openRunFolder(options.resume, runsRoot);
    config = record.config;
    runId = record.id;
  }

  // 1. Data.
  const scanFolder = async (root: string): Promise<ImageFolderScan> =>
    scanImageFolder(root, {
      ...(options.signal ? { signal: options.signal } : {}),
      verifyPixels: false,
      onProgress: (p) => {
        if (p.phase === 'checking') progress('scanning', p.checked, p.total, null);
      },
    });
  const trainScan = await scanFolder(config.trainDir);
  const testScan = config.testDir ? await scanFolder(config.testDir) : undefined;
  const data: RunData = prepareRunData(trainScan, testScan, config.valSplit, config.seed);

  // 2. Backend and weights. Fine-tuning needs convolution gradients: skip backends without them.
  const backend: BackendInfo = await initBackend(config.mode === 'finetune' ? { requireConvGradients: true } : {});
  if (config.mode === 'finetune' && !backend.convGradients) {
    throw new WorkbenchError(
      'NOT_AVAILABLE',
      `Fine-tuning needs convolution gradients, which the ${backend.backend} backend does not have (install @tensorflow/tfjs-node or -gpu); use --mode linear.`,
    );
  }
  const weights = await resolveBackboneWeights(config, options, (done, total, message) => progress('weights', done, total, null, message));
  const notices = [...data.notices, ...(weights.notice ? [weights.notice] : [])];
  if (config.mode === 'finetune' && backend.backend === 'cpu') {
    notices.push('Fine-tuning runs on the pure-JavaScript cpu backend (no native TensorFlow here): expect it to be very slow; small images and --unfreeze layer4 help.');
  }

  if (!record) {
    record = await createRunFolder(
      runsRoot,
      config,
      { classes: data.classes, weightsSource: weights.source, weightsSha256: weights.sha256, appVersion: APP_VERSION, createdAt: new Date().toISOString() },
      options.outFolder,
    );
    runId = record.id;
  } else if (JSON.stringify(record.facts.classes) !== JSON.stringify(data.classes)) {
    throw new WorkbenchError('BAD_INPUT', `The train folder's classes changed since the run started (${record.facts.classes.join(', ')} → ${data.classes.join(', ')}); start a new run.`);
  }
  const folder = record.folder;
  // Linear runs compute features with the frozen backbone: on ONNX Runtime where it loads (engine/frozenNetwork.ts).
  let frozen: FrozenNetwork | undefined;
  if (config.mode === 'linear') {
    assertCheckpointFits(weights.dict, config.depth);
    frozen = await openFrozenNetwork(weights.dict, { depth: config.depth, output: 'features', imageSize: config.imageSize }, inferenceRequest(config));
  }
  emit('run.started', {
    folder,
    classes: data.classes,
    trainImages: data.train.length,
    evalImages: data.eval.length,
    evalSplit: data.evalSplit,
    backend: backend.backend,
    weights: weights.source,
    ...(frozen ? { inference: frozen.used } : {}),
  });
  for (const notice of notices) progress('scanning', 1, 1, null, notice);

  let savedCheckpoint: string | null = null;
  const epochStarted = performance.now();
  /** What both modes do after an epoch: events, checkpoints, ETA. */
  const afterEpoch: AfterEpoch = async (e, best, evaluated, resumedAt, save) => {
    const isBest = best.epoch === e.epoch;
    emit('run.epoch', {
      epoch: e.epoch,
      epochs: config.epochs,
      trainLoss: e.trainLoss,
      trainAccuracy: e.trainAccuracy,
      evalLoss: e.valLoss,
      evalAccuracy: e.valAccuracy,
      lr: e.lr,
      seconds: e.seconds,
      best: isBest,
    });
    if (evaluated) {
      emit('run.evaluation', { epoch: e.epoch, split: data.evalSplit, ...evaluated.evaluation });
      await writeEpochPredictions(folder, e.epoch, best.epoch, data.evalSplit, data.classes, evaluated.scores);
    }
    progress('saving', 0, 1, null);
    await save();
    savedCheckpoint = checkpointPath(folder, 'last');
    const elapsed = (performance.now() - epochStarted) / 1000;
    progress('training', e.epoch, config.epochs, (elapsed / (e.epoch - resumedAt)) * (config.epochs - e.epoch));
  };
  const onBatch = (e: RunEventPayload<'run.batch'> extends infer P ? Omit<P, 'runId'> : never): void => {
    if (!throttled('batch', e.batch === e.batches)) emit('run.batch', e);
  };
  const common = {
    numClasses: data.classes.length,
    epochs: config.epochs,
    lr: config.lr,
    schedule: config.schedule,
    optimizer: { name: config.optimizer, weightDecay: config.weightDecay, momentum: config.momentum },
    ...(config.patience !== undefined ? { patience: config.patience } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onBatch,
  };

  try {
    const outcome =
      config.mode === 'linear'
        ? await trainLinear(config, data, frozen as FrozenNetwork, folder, options, progress, common, afterEpoch)
        : await trainFineTune(config, data, weights.dict, folder, options, common, afterEpoch);
    const report: RunReport = {
      runId,
      folder,
      classes: data.classes,
      evalSplit: data.evalSplit,
      bestEpoch: outcome.bestEpoch,
      epochsRun: outcome.history.length,
      stoppedEarly: outcome.stoppedEarly,
      testAccuracy: outcome.evaluation.accuracy,
      lastEpochAccuracy: outcome.history.at(-1)?.valAccuracy ?? null,
      evaluation: outcome.evaluation,
      history: outcome.history,
      backend: backend.backend,
      ...(frozen ? { inference: frozen.used } : outcome.inference ? { inference: outcome.inference } : {}),
      weights: weights.source,
      seconds: (performance.now() - started) / 1000,
      notices,
    };
    await writeRunReport(folder, { ...report, config });
    emit('run.finished', {
      folder,
      bestEpoch: report.bestEpoch,
      epochsRun: report.epochsRun,
      stoppedEarly: report.stoppedEarly,
      testAccuracy: report.testAccuracy,
      seconds: report.seconds,
    });
    await metricsWrites;
    return report;
  } catch (caught) {
    const error = asOutOfMemory(caught, config) ?? caught;
    emit('run.failed', { folder, error: toErrorData(error), checkpoint: savedCheckpoint });
    await metricsWrites;
    throw error;
  } finally {
    await frozen?.dispose();
  }
}

/** The run's choice of engine for its frozen forward passes. */
export function inferenceRequest(config: RunConfig): InferenceRequest {
  return { engine: config.inferenceEngine, provider: config.provider, ...(config.threads !== undefined ? { threads: config.threads } : {}) };
}

type Progress = (phase: RunPhase, done: number, total: number, eta: number | null, message?: string) => void;
type AfterEpoch = (e: HeadEpochResult, best: { epoch: number }, evaluated: ScoredEvaluation | undefined, resumedAt: number, save: () => Promise<void>) => Promise<void>;

interface CommonTraining {
  numClasses: number;
  epochs: number;
  lr: number;
  schedule: RunConfig['schedule'];
  optimizer: OptimizerConfig;
  patience?: number;
  signal?: AbortSignal;
  onBatch: (e: { epoch: number; batch: number; batches: number; loss: number; accuracy: number; lr: number }) => void;
}

interface TrainingOutcome {
  bestEpoch: number;
  history: HeadEpochResult[];
  stoppedEarly: boolean;
  /** Evaluation of the best epoch's model. */
  evaluation: Evaluation;
  /** Fine-tuning: which engine ran the frozen prefix (linear runs record their `frozen` network's). */
  inference?: InferenceEngineUsed;
}

/** Linear mode: features once (or from an interrupted run's cache), then the head. */
async function trainLinear(
  config: RunConfig,
  data: RunData,
  backbone: FrozenNetwork,
  folder: string,
  options: TrainRunOptions,
  progress: Progress,
  common: CommonTraining,
  afterEpoch: AfterEpoch,
): Promise<TrainingOutcome> {
  const { train, evalSet } = await featuresFor(config, data, backbone, folder, options, progress);
  const resume = options.resume ? await loadHeadState(folder) : undefined;
  const result = await trainHead(train, evalSet, {
    ...common,
    batchSize: config.batchSize,
    seed: config.seed,
    ...(resume ? { resume } : {}),
    onEpoch: async (e, logits, state) => {
      const isBest = state.bestEpoch === e.epoch;
      const evaluated = logits ? evaluateLogits(logits, evalSet.labels, evalSet.paths, data.classes) : undefined;
      await afterEpoch(e, { epoch: state.bestEpoch }, evaluated, resume?.epoch ?? 0, async () => {
        await saveState(checkpointPath(folder, 'last'), headStateToStored(state, data.classes));
        if (isBest) await saveState(checkpointPath(folder, 'best'), headWeightsToStored(state.best, data.classes, state.bestEpoch));
      });
    },
  });
  progress('evaluating', 0, 1, 0);
  const bestScores = tf.tidy(() => {
    const kernel = tf.tensor2d(result.best.kernel, [evalSet.channels, data.classes.length]);
    const bias = tf.tensor1d(result.best.bias);
    return evaluateHead(kernel, bias, evalSet);
  });
  return { ...result, evaluation: evaluateLogits(bestScores.logits, evalSet.labels, evalSet.paths, data.classes).evaluation };
}

/**
 * Fine-tune mode: images decoded and augmented every epoch; the frozen stages run forward-only and
 * only the unfrozen stages and the head run under the gradient tape (splitNetwork.ts).
 */
async function trainFineTune(
  config: RunConfig,
  data: RunData,
  dict: StateDict,
  folder: string,
  options: TrainRunOptions,
  common: CommonTraining,
  afterEpoch: AfterEpoch,
): Promise<TrainingOutcome> {
  const model = buildResNet(config.depth, data.classes.length);
  let network: FineTuneNetwork | undefined;
  try {
    const stored = options.resume ? await loadState(checkpointPath(folder, 'last')) : undefined;
    const resume = stored ? fineTuneStateFromStored(stored) : undefined;
    if (stored && resume) {
      loadStateDictIntoModel(model, stored.tensors, { includeHead: true });
    } else {
      loadStateDictIntoModel(model, dict, { includeHead: false });
      const head = initialHead(featureChannels(config.depth), data.classes.length, config.seed);
      tf.tidy(() => model.getLayer(HEAD_LAYER).setWeights([tf.tensor2d(head.kernel, [featureChannels(config.depth), data.classes.length]), tf.tensor1d(head.bias)]));
    }
    const normalization = { mean: config.mean, std: config.std } as const;
    const trainLoader = createBatchLoader(data.train, {
      batchSize: config.batchSize,
      seed: config.seed,
      transform: config.augment
        ? { kind: 'train', options: { size: config.imageSize, normalization } }
        : { kind: 'eval', options: { size: config.imageSize, crop: config.crop, normalization } },
      shuffle: true,
    });
    const evalLoader = createBatchLoader(data.eval, {
      batchSize: config.batchSize,
      transform: { kind: 'eval', options: { size: config.imageSize, crop: config.crop, normalization } },
      shuffle: false,
    });
    // The frozen prefix runs on the engine for frozen passes, built from the model's own weights
    // once they are in (on resume, the checkpoint's; the frozen ones never change).
    network = await fineTuneNetwork(model, config.depth, config.unfreeze, {
      prefix: frozenEnginePrefix(extractStateDict(model, config.depth), config.depth, config.imageSize, inferenceRequest(config)),
    });
    const result = await fineTune(network, trainLoader, evalLoader, {
      ...common,
      backboneLrScale: config.backboneLrScale,
      unfreeze: config.unfreeze,
      ...(resume ? { resume } : {}),
      onEpoch: async (e, evaluated, state) => {
        const scored = evaluateLogits(evaluated.logits, evaluated.labels, evaluated.paths, data.classes);
        await afterEpoch(e, { epoch: state.bestEpoch }, scored, resume?.epoch ?? 0, async () => {
          const weights = extractStateDict(model, config.depth);
          await saveState(checkpointPath(folder, 'last'), fineTuneStateToStored(weights, state, data.classes));
          if (state.isBest) await saveState(checkpointPath(folder, 'best'), { tensors: weights, metadata: fullModelMetadata(data.classes, state.epoch) });
        });
      },
    });
    // The report uses the best epoch's weights.
    const best = await loadState(checkpointPath(folder, 'best'));
    // The frozen prefix is the same in every epoch's weights, so the best weights need only the model.
    if (best) loadStateDictIntoModel(model, best.tensors, { includeHead: true });
    const evaluated = await predictLoader(network, evalLoader, data.classes.length, options.signal);
    return {
      ...result,
      evaluation: evaluateLogits(evaluated.logits, evaluated.labels, evaluated.paths, data.classes).evaluation,
      ...(network.prefix ? { inference: network.prefix.used } : {}),
    };
  } finally {
    await network?.dispose();
    model.dispose();
  }
}

const OUT_OF_MEMORY = /out of memory|\bOOM\b|Array buffer allocation failed|Cannot allocate|failed to allocate|WebAssembly\.Memory/i;

/** Allocation failures from V8, wasm or TensorFlow become one clear, actionable error. */
export function asOutOfMemory(error: unknown, config: RunConfig): WorkbenchError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof WorkbenchError || !OUT_OF_MEMORY.test(message)) return undefined;
  return new WorkbenchError(
    'OUT_OF_MEMORY',
    `Out of memory at batch size ${config.batchSize} and image size ${config.imageSize}: try a smaller --batch-size or --image-size. (${message.split('\n')[0]})`,
    { cause: error },
  );
}

async function loadHeadState(folder: string): Promise<HeadTrainingState | undefined> {
  const stored = await loadState(checkpointPath(folder, 'last'));
  return stored ? headStateFromStored(stored) : undefined;
}

interface FeatureSets {
  train: ExtractedFeatures;
  evalSet: ExtractedFeatures;
}

/** Scale range of the random crops of extra augmented views: milder than torchvision's (0.08, 1), since a frozen backbone sees each view only once. */
const VIEW_CROP_SCALE: readonly [number, number] = [0.25, 1];

async function featuresFor(
  config: RunConfig,
  data: RunData,
  backbone: FrozenNetwork,
  folder: string,
  options: TrainRunOptions,
  progress: (phase: RunPhase, done: number, total: number, eta: number | null, message?: string) => void,
): Promise<FeatureSets> {
  const cached = await loadState(`${folder}/${FEATURES_FILE}`).catch(() => undefined);
  if (cached) {
    const sets = featureSetsFromStored(cached);
    if (sets) return sets;
  }
  {
    const normalization = { mean: config.mean, std: config.std } as const;
    const evalTransform = { kind: 'eval' as const, options: { size: config.imageSize, crop: config.crop, normalization } };
    const views = config.augment ? config.views : 1;
    const total = data.train.length * views + data.eval.length;
    const started = performance.now();
    let before = 0;
    const onBatch = (done: number): void => {
      const all = before + done;
      const rate = all / ((performance.now() - started) / 1000);
      progress('features', all, total, rate > 0 ? (total - all) / rate : null);
    };
    const loaderFor = (images: readonly LabeledImage[], transform: Parameters<typeof createBatchLoader>[1]['transform']) =>
      createBatchLoader(images, { batchSize: 16, transform, shuffle: false, seed: config.seed });
    const parts: ExtractedFeatures[] = [];
    // View 0 is the clean eval view; extra views are augmented.
    parts.push(await extractFeatures(backbone, loaderFor(data.train, evalTransform), 0, { ...signalOf(options), onBatch }));
    before += data.train.length;
    for (let v = 1; v < views; v++) {
      const trainTransform = { kind: 'train' as const, options: { size: config.imageSize, scale: VIEW_CROP_SCALE, normalization } };
      parts.push(await extractFeatures(backbone, loaderFor(data.train, trainTransform), v, { ...signalOf(options), onBatch }));
      before += data.train.length;
    }
    const evalSet = await extractFeatures(backbone, loaderFor(data.eval, evalTransform), 0, { ...signalOf(options), onBatch });
    const sets = { train: concatFeatures(parts), evalSet };
    await saveState(`${folder}/${FEATURES_FILE}`, featureSetsToStored(sets));
    return sets;
  }
}

function signalOf(options: TrainRunOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

function featureSetsToStored(sets: FeatureSets): { tensors: StateDict; metadata: Record<string, string> } {
  const tensors: StateDict = new Map();
  const meta: Record<string, string> = {};
  for (const [name, set] of [['train', sets.train], ['eval', sets.evalSet]] as const) {
    tensors.set(`${name}.features`, { dtype: 'float32', shape: [set.labels.length, set.channels], data: set.features });
    tensors.set(`${name}.labels`, { dtype: 'int32', shape: [set.labels.length], data: set.labels });
    meta[`${name}.paths`] = JSON.stringify(set.paths);
  }
  return { tensors, metadata: meta };
}

function featureSetsFromStored(stored: { tensors: StateDict; metadata: Record<string, string> }): FeatureSets | undefined {
  const read = (name: string): ExtractedFeatures | undefined => {
    const features = stored.tensors.get(`${name}.features`);
    const labels = stored.tensors.get(`${name}.labels`);
    const paths = stored.metadata[`${name}.paths`];
    if (!features || !labels || paths === undefined || !(features.data instanceof Float32Array) || !(labels.data instanceof Int32Array)) return undefined;
    return { features: features.data, labels: labels.data, channels: features.shape[1] ?? 0, paths: JSON.parse(paths) as string[] };
  };
  const train = read('train');
  const evalSet = read('eval');
  return train && evalSet ? { train, evalSet } : undefined;
}
