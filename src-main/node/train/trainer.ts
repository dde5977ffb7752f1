/**
 * A whole training run, from folders to report: scan, choose the backend, load the backbone
 * weights, compute features (linear mode), train the head, evaluate every epoch, checkpoint, report.
 * Everything it learns is emitted as run events (common/runEvents.ts) and appended to metrics.jsonl.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '../engine/tf';
import { WorkbenchError, toErrorData } from '../../common/errors';
import type { RunConfig } from '../../common/runConfig';
import { MAX_SKIPPED_IN_EVENT, type RunEvent, type RunEventName, type RunEventPayload, type RunPhase, type SkippedFile } from '../../common/runEvents';
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
import { prepareRunData, splitOf, type RunData } from './dataSplit';
import { evaluateLogits, type Evaluation, type ScoredEvaluation } from './evaluation';
import { explainSkipped, fingerprintImages, missingPaths } from './runDataCheck';
import { writeEpochPredictions, writeTestPredictions } from './epochPredictions';
import { removeStaleTempFiles, writeFileAtomic } from '../io/atomicWrite';
import { extractFeatures } from './featureExtraction';
import { FeatureFileWriter, openFeatureFile, removeFeatures, type FeatureFile, type FeatureRows } from './featureStore';
import { evaluateHead, firstNonFinite, initialHead, trainHead, type HeadEpochResult, type HeadTrainingState, type HeadWeights } from './headTrainer';
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
  readRunEvents,
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

/**
 * A finished run's figures, each named for the split it comes from: validation (held out of the
 * train folder; it chose the kept epoch, so it is optimistic), the last epoch's validation (chosen
 * on nothing) and test (the test folder, scored once, at the end, on the kept model).
 */
export interface RunReport {
  runId: string;
  folder: string;
  classes: string[];
  /** The split of `evaluation`, the headline: 'test' with a test folder, else 'validation'. */
  evalSplit: 'test' | 'validation';
  /** How the kept epoch was chosen. */
  selectEpoch: RunConfig['selectEpoch'];
  /** The kept epoch. */
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  /** The kept model on the validation split; null without one. Chose the epoch, so optimistic. */
  validationAccuracy: number | null;
  /** The last epoch's model on the validation split; null without one. */
  lastEpochValidationAccuracy: number | null;
  /** The kept model on the test folder, scored once after training; null without a test folder. */
  testAccuracy: number | null;
  /** The headline evaluation: `test` when there is one, else `validation`. */
  evaluation: Evaluation;
  validation: Evaluation | null;
  test: Evaluation | null;
  /** Images actually used per split (files skipped are not counted). */
  images: { train: number; validation: number; test: number | null };
  /** SHA-256 over the images used (split, path, class, size, mtime). */
  dataFingerprint: string;
  /** Every file the run could not use, with path and reason. */
  skipped: SkippedFile[];
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

/** Where runs made before the features folder kept their features (deleted with the folder's features). */
const LEGACY_FEATURES_FILE = 'features.safetensors';
/** The fingerprint of the files the cached features were computed from (see runDataCheck.ts). */
const DATA_FINGERPRINT_FILE = 'data-fingerprint.txt';

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
  /** Which start of the run this is (see run.started's `attempt`): its start, end and failure events carry it. */
  let attempt: { attempt?: number } = {};
  if (options.resume) {
    record = await openRunFolder(options.resume, runsRoot);
    // What the killed process left half-written (kill -9 between a write and its rename).
    await removeStaleTempFiles(record.folder);
    config = record.config;
    runId = record.id;
    const starts = (await readRunEvents(record.folder)).filter((line) => line.event === 'run.started').length;
    attempt = { attempt: Math.max(2, starts + 1) };
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
  const data: RunData = prepareRunData(trainScan, testScan, config);

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
  // Resume: cached features are only reused for the very files they were computed from.
  const planned = await fingerprintImages({ train: data.train, eval: data.eval });
  const fingerprintFile = path.join(folder, DATA_FINGERPRINT_FILE);
  const recorded = await readFile(fingerprintFile, 'utf8').catch(() => undefined);
  if (options.resume && recorded?.trim() !== planned) {
    await removeFeatures(folder);
    await rm(path.join(folder, LEGACY_FEATURES_FILE), { force: true });
    if (recorded !== undefined) notices.push('The train or test folder changed since the run started: features are computed again from the current files.');
  }
  await writeFileAtomic(fingerprintFile, `${planned}\n`);
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
    validationImages: data.validation.length,
    ...(data.test ? { testImages: data.test.length } : {}),
    evalSplit: data.evalSplit,
    backend: backend.backend,
    weights: weights.source,
    ...(frozen ? { inference: frozen.used } : {}),
    ...attempt,
  });
  for (const notice of notices) progress('scanning', 1, 1, null, notice);
  const skipped: SkippedFile[] = [];
  const reportSkipped = (files: readonly SkippedFile[]): void => {
    if (files.length === 0) return;
    skipped.push(...files);
    emit('run.skipped', { files: files.slice(0, MAX_SKIPPED_IN_EVENT), total: files.length });
  };
  reportSkipped(data.skipped);

  let savedCheckpoint: string | null = null;
  const epochStarted = performance.now();
  /** What both modes do after an epoch: events, checkpoints, ETA. */
  const afterEpoch: AfterEpoch = async (e, best, evaluated, resumedAt, save) => {
    const isBest = best.epoch === e.epoch;
    // Epochs are chosen and compared on validation only: the test folder is scored once, at the end.
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
      emit('run.evaluation', { epoch: e.epoch, split: 'validation', ...evaluated.evaluation });
      await writeEpochPredictions(folder, e.epoch, best.epoch, 'validation', data.classes, evaluated.scores);
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
        ? await trainLinear(config, data, frozen as FrozenNetwork, folder, options, progress, common, afterEpoch, reportSkipped)
        : await trainFineTune(config, data, weights.dict, folder, options, common, afterEpoch, reportSkipped);
    const headline = outcome.test ?? outcome.validation;
    if (!headline) throw new WorkbenchError('BAD_INPUT', 'The run had no image to evaluate on: give a test folder or a validation split above 0.');
    if (outcome.test) {
      emit('run.evaluation', { epoch: outcome.bestEpoch, split: 'test', ...outcome.test.evaluation });
      await writeTestPredictions(folder, outcome.bestEpoch, data.classes, outcome.test.scores);
    }
    const used = outcome.used;
    const report: RunReport = {
      runId,
      folder,
      classes: data.classes,
      evalSplit: outcome.test ? 'test' : 'validation',
      selectEpoch: config.selectEpoch,
      bestEpoch: outcome.bestEpoch,
      epochsRun: outcome.history.length,
      stoppedEarly: outcome.stoppedEarly,
      validationAccuracy: outcome.validation?.evaluation.accuracy ?? null,
      lastEpochValidationAccuracy: data.validation.length > 0 ? (outcome.history.at(-1)?.valAccuracy ?? null) : null,
      testAccuracy: outcome.test?.evaluation.accuracy ?? null,
      evaluation: headline.evaluation,
      validation: outcome.validation?.evaluation ?? null,
      test: outcome.test?.evaluation ?? null,
      images: { train: used.train.length, validation: used.validation.length, test: used.test ? used.test.length : null },
      dataFingerprint: await fingerprintImages({ train: used.train, validation: used.validation, ...(used.test ? { test: used.test } : {}) }),
      skipped,
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
      selectEpoch: report.selectEpoch,
      validationAccuracy: report.validationAccuracy,
      lastEpochValidationAccuracy: report.lastEpochValidationAccuracy,
      testAccuracy: report.testAccuracy,
      trainImages: report.images.train,
      skippedFiles: report.skipped.length,
      seconds: report.seconds,
      ...attempt,
    });
    await metricsWrites;
    return report;
  } catch (caught) {
    const error = asOutOfMemory(caught, config) ?? caught;
    emit('run.failed', { folder, error: toErrorData(error), checkpoint: savedCheckpoint, ...attempt });
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
type ReportSkipped = (files: readonly SkippedFile[]) => void;

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
  /** The kept epoch (best on validation, or the last: see RunConfig.selectEpoch). */
  bestEpoch: number;
  history: HeadEpochResult[];
  stoppedEarly: boolean;
  /** The kept model on the validation split; undefined without one. */
  validation: ScoredEvaluation | undefined;
  /** The kept model on the test folder, scored once; undefined without a test folder. */
  test: ScoredEvaluation | undefined;
  /** The images that were actually trained and evaluated on (skipped files left out). */
  used: { train: LabeledImage[]; validation: LabeledImage[]; test: LabeledImage[] | undefined };
  /** Fine-tuning: which engine ran the frozen prefix (linear runs record their `frozen` network's). */
  inference?: InferenceEngineUsed;
}

/** The kept epoch: the best on validation, or simply the last when the user chose so (or there is no validation). */
function keptEpoch(config: RunConfig, data: RunData, bestEpoch: number, epoch: number): number {
  return config.selectEpoch === 'last' || data.validation.length === 0 ? epoch : bestEpoch;
}

/** The rows of a features file whose path passes `keep`. */
function featureRows(set: FeatureFile, keep: (path: string) => boolean): FeatureRows {
  return set.subset(set.paths.flatMap((p, i) => (keep(p) ? [i] : [])));
}

/** The images of `planned` that the loaders produced (paths seen), and an explanation of the rest. */
async function usedImages(planned: readonly LabeledImage[], produced: readonly string[], folder: SkippedFile['folder']): Promise<{ used: LabeledImage[]; skipped: SkippedFile[] }> {
  const missing = new Set(missingPaths(planned, produced));
  return { used: planned.filter((i) => !missing.has(i.path)), skipped: await explainSkipped([...missing], folder) };
}

/** Throws TRAINING_DIVERGED when a weight is NaN or infinite: such a model is never saved. */
function assertFiniteWeights(tensors: StateDict, epoch: number): void {
  for (const [name, tensor] of tensors) {
    if (!(tensor.data instanceof Float32Array)) continue;
    const bad = firstNonFinite(tensor.data);
    if (bad >= 0) {
      throw new WorkbenchError('TRAINING_DIVERGED', `The weights became ${tensor.data[bad]} (${name}) at epoch ${epoch}. Try a lower learning rate; the last good checkpoint is kept.`);
    }
  }
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
  reportSkipped: ReportSkipped,
): Promise<TrainingOutcome> {
  const { train, evalSet } = await featuresFor(config, data, backbone, folder, options, progress);
  try {
    // The loaders skip files they cannot decode: find them and say why.
    const trainUse = await usedImages(data.train, train.paths, 'train');
    const validationUse = await usedImages(data.validation, evalSet.paths, 'train');
    const testUse = data.test ? await usedImages(data.test, evalSet.paths, 'test') : undefined;
    reportSkipped([...trainUse.skipped, ...validationUse.skipped, ...(testUse?.skipped ?? [])]);
    const part = splitOf(data);
    const validationSet = featureRows(evalSet, (p) => part(p) === 'validation');
    const testSet = data.test ? featureRows(evalSet, (p) => part(p) === 'test') : undefined;
    if (data.validation.length > 0 && validationSet.labels.length === 0) {
      throw new WorkbenchError('BAD_INPUT', 'None of the validation images could be used (see the skipped files); the run has nothing to choose an epoch on.');
    }
    const resume = options.resume ? await loadHeadState(folder) : undefined;
    const result = await trainHead(train, validationSet.labels.length > 0 ? validationSet : undefined, {
      ...common,
      batchSize: config.batchSize,
      seed: config.seed,
      ...(resume ? { resume } : {}),
      onEpoch: async (e, logits, state) => {
        const kept = keptEpoch(config, data, state.bestEpoch, e.epoch);
        const evaluated = logits ? evaluateLogits(logits, validationSet.labels, validationSet.paths, data.classes) : undefined;
        await afterEpoch(e, { epoch: kept }, evaluated, resume?.epoch ?? 0, async () => {
          await saveState(checkpointPath(folder, 'last'), headStateToStored(state, data.classes));
          if (kept === e.epoch) await saveState(checkpointPath(folder, 'best'), headWeightsToStored(kept === state.bestEpoch ? state.best : state.weights, data.classes, kept));
        });
      },
    });
    progress('evaluating', 0, 1, 0);
    const epochsRun = result.history.length;
    const bestEpoch = keptEpoch(config, data, result.bestEpoch, epochsRun);
    const chosen: HeadWeights = bestEpoch === result.bestEpoch ? result.best : result.last;
    const score = (set: FeatureRows): ScoredEvaluation => {
      const scored = tf.tidy(() => evaluateHead(tf.tensor2d(chosen.kernel, [set.channels, data.classes.length]), tf.tensor1d(chosen.bias), set));
      return evaluateLogits(scored.logits, set.labels, [...set.paths], data.classes);
    };
    return {
      bestEpoch,
      history: result.history,
      stoppedEarly: result.stoppedEarly,
      validation: validationSet.labels.length > 0 ? score(validationSet) : undefined,
      // The only time the test folder is looked at.
      test: testSet ? score(testSet) : undefined,
      used: { train: trainUse.used, validation: validationUse.used, test: testUse?.used },
    };
  } finally {
    train.close();
    evalSet.close();
  }
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
  reportSkipped: ReportSkipped,
): Promise<TrainingOutcome> {
  const model = buildResNet(config.depth, data.classes.length);
  const skippedPaths = new Map<string, SkippedFile>();
  const onIssueFrom =
    (folderOf: SkippedFile['folder']) =>
    (issue: { path: string; reason: string; detail: string }): void => {
      if (skippedPaths.has(issue.path)) return;
      const file: SkippedFile = { path: issue.path, reason: issue.reason, detail: issue.detail, folder: folderOf };
      skippedPaths.set(issue.path, file);
      reportSkipped([file]);
    };
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
      onIssue: onIssueFrom('train'),
    });
    const evalLoaderOf = (images: readonly LabeledImage[], folderOf: SkippedFile['folder']) =>
      createBatchLoader(images, {
        batchSize: config.batchSize,
        transform: { kind: 'eval', options: { size: config.imageSize, crop: config.crop, normalization } },
        shuffle: false,
        onIssue: onIssueFrom(folderOf),
      });
    // Epochs are evaluated on validation; the test folder gets its own loader, used once.
    const evalLoader = evalLoaderOf(data.validation, 'train');
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
        const kept = keptEpoch(config, data, state.bestEpoch, e.epoch);
        const scored = data.validation.length > 0 ? evaluateLogits(evaluated.logits, evaluated.labels, evaluated.paths, data.classes) : undefined;
        await afterEpoch(e, { epoch: kept }, scored, resume?.epoch ?? 0, async () => {
          const weights = extractStateDict(model, config.depth);
          // A model with a NaN is never saved: the previous epoch's checkpoints stay as they are.
          assertFiniteWeights(weights, e.epoch);
          await saveState(checkpointPath(folder, 'last'), fineTuneStateToStored(weights, state, data.classes));
          if (kept === e.epoch) await saveState(checkpointPath(folder, 'best'), { tensors: weights, metadata: fullModelMetadata(data.classes, state.epoch) });
        });
      },
    });
    // The kept epoch's weights are scored on validation, and once on the test folder.
    const best = await loadState(checkpointPath(folder, 'best'));
    // The frozen prefix is the same in every epoch's weights, so the best weights need only the model.
    if (best) loadStateDictIntoModel(model, best.tensors, { includeHead: true });
    const scoreWith = async (loader: ReturnType<typeof evalLoaderOf>): Promise<ScoredEvaluation> => {
      const evaluated = await predictLoader(network as FineTuneNetwork, loader, data.classes.length, options.signal);
      return evaluateLogits(evaluated.logits, evaluated.labels, evaluated.paths, data.classes);
    };
    const validation = data.validation.length > 0 ? await scoreWith(evalLoader) : undefined;
    const test = data.test ? await scoreWith(evalLoaderOf(data.test, 'test')) : undefined;
    const unused = (images: readonly LabeledImage[]): LabeledImage[] => images.filter((i) => !skippedPaths.has(i.path));
    return {
      bestEpoch: keptEpoch(config, data, result.bestEpoch, result.history.length),
      history: result.history,
      stoppedEarly: result.stoppedEarly,
      validation,
      test,
      used: { train: unused(data.train), validation: unused(data.validation), test: data.test ? unused(data.test) : undefined },
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
  train: FeatureFile;
  evalSet: FeatureFile;
}

/** Scale range of the random crops of extra augmented views: milder than torchvision's (0.08, 1), since a frozen backbone sees each view only once. */
const VIEW_CROP_SCALE: readonly [number, number] = [0.25, 1];

/** The run's features: from its features files when a finished extraction is there (resume), else computed into them. */
async function featuresFor(
  config: RunConfig,
  data: RunData,
  backbone: FrozenNetwork,
  folder: string,
  options: TrainRunOptions,
  progress: (phase: RunPhase, done: number, total: number, eta: number | null, message?: string) => void,
): Promise<FeatureSets> {
  const cachedTrain = await openFeatureFile(folder, 'train');
  const cachedEval = cachedTrain ? await openFeatureFile(folder, 'eval') : undefined;
  if (cachedTrain && cachedEval) return { train: cachedTrain, evalSet: cachedEval };
  cachedTrain?.close();

  const channels = backbone.outputShape[0] ?? 0;
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
  const extract = { ...signalOf(options), onBatch };

  const trainWriter = await FeatureFileWriter.create(folder, 'train', channels);
  let train: FeatureFile;
  try {
    // View 0 is the clean eval view; extra views are augmented.
    await extractFeatures(backbone, loaderFor(data.train, evalTransform), 0, trainWriter, extract);
    before += data.train.length;
    for (let v = 1; v < views; v++) {
      const trainTransform = { kind: 'train' as const, options: { size: config.imageSize, scale: VIEW_CROP_SCALE, normalization } };
      await extractFeatures(backbone, loaderFor(data.train, trainTransform), v, trainWriter, extract);
      before += data.train.length;
    }
    train = await trainWriter.finish();
  } finally {
    trainWriter.close();
  }
  const evalWriter = await FeatureFileWriter.create(folder, 'eval', channels);
  try {
    await extractFeatures(backbone, loaderFor(data.eval, evalTransform), 0, evalWriter, extract);
    return { train, evalSet: await evalWriter.finish() };
  } catch (error) {
    train.close();
    throw error;
  } finally {
    evalWriter.close();
  }
}

function signalOf(options: TrainRunOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
