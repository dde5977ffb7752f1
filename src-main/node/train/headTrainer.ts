/**
 * Trains the classifier head (torchvision's `fc`) on cached backbone features: the reference recipe
 * (frozen backbone, new last layer) without running the backbone again every epoch.
 */
import * as tf from '../engine/tf';
import { WorkbenchError } from '../../common/errors';
import { createRng, deriveSeed, shuffledIndices } from '../dataset/random';
import { learningRateAt, type ScheduleName } from '../../common/schedules';
import { TorchStyleOptimizer, type OptimizerConfig, type OptimizerState } from './optimizers';

/**
 * Features [rows × channels] with one class index per row, read a batch at a time (a linear run's
 * live in a file: train/featureStore.ts).
 */
export interface FeatureSet {
  readonly rows: number;
  readonly channels: number;
  readonly labels: Int32Array;
  /** The features of the given rows, in that order: [rows.length × channels]. */
  read(rows: ArrayLike<number>): Float32Array;
  /** Rows start..end − 1. */
  readRange(start: number, end: number): Float32Array;
}

/** A feature set held in memory (small sets, tests). */
export function featuresInMemory(features: Float32Array, labels: Int32Array, channels: number): FeatureSet {
  if (features.length !== labels.length * channels) throw new Error(`${labels.length} rows need ${labels.length * channels} features; got ${features.length}.`);
  return {
    rows: labels.length,
    channels,
    labels,
    read(rows) {
      const out = new Float32Array(rows.length * channels);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as number;
        out.set(features.subarray(row * channels, (row + 1) * channels), i * channels);
      }
      return out;
    },
    readRange: (start, end) => features.slice(start * channels, end * channels),
  };
}

export interface HeadTrainingOptions {
  numClasses: number;
  epochs: number;
  batchSize: number;
  lr: number;
  schedule: ScheduleName;
  optimizer: OptimizerConfig;
  seed: number;
  /** Stop after this many epochs without a better validation accuracy. Default: never. */
  patience?: number;
  signal?: AbortSignal;
  onBatch?: (e: { epoch: number; batch: number; batches: number; loss: number; accuracy: number; lr: number }) => void;
  /**
   * Called after each epoch with its scores, the validation logits ([rows × classes], absent without
   * validation data) and the state to checkpoint. Awaited before the next epoch starts.
   */
  onEpoch?: (e: HeadEpochResult, valLogits: Float32Array | undefined, state: HeadTrainingState) => void | Promise<void>;
  /** Continue from a saved state (resume) instead of starting at epoch 1. */
  resume?: HeadTrainingState;
}

/** Everything needed to continue training exactly where it stopped. */
export interface HeadTrainingState {
  /** Epochs completed. */
  epoch: number;
  weights: HeadWeights;
  optimizer: OptimizerState;
  best: HeadWeights;
  bestEpoch: number;
  bestScore: number;
  sinceBest: number;
  history: HeadEpochResult[];
}

export interface HeadEpochResult {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  lr: number;
  seconds: number;
}

export interface HeadWeights {
  /** [channels, classes], tfjs Dense layout. */
  kernel: Float32Array;
  bias: Float32Array;
}

export interface HeadTrainingResult {
  best: HeadWeights;
  bestEpoch: number;
  last: HeadWeights;
  history: HeadEpochResult[];
  stoppedEarly: boolean;
}

/** Tags that give the head its own random streams, independent of the data loader's (seed, epoch). */
const SEED_STREAM = { headInit: 0x68656164, headShuffle: 0x73687566 } as const;

/** torch.nn.Linear's default initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias. */
export function initialHead(channels: number, numClasses: number, seed: number): HeadWeights {
  const rng = createRng(deriveSeed(seed, SEED_STREAM.headInit));
  const bound = 1 / Math.sqrt(channels);
  const draw = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
  return { kernel: draw(channels * numClasses), bias: draw(numClasses) };
}

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return i;
  return -1;
}

/** Mean cross-entropy and accuracy of a head on a feature set, in batches. */
export function evaluateHead(kernel: tf.Tensor2D, bias: tf.Tensor1D, set: FeatureSet, batchSize = 512): { loss: number; accuracy: number; logits: Float32Array } {
  const n = set.rows;
  const k = bias.shape[0];
  const logits = new Float32Array(n * k);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const [loss, hits, out] = tf.tidy(() => {
      const x = tf.tensor2d(set.readRange(start, end), [end - start, set.channels]);
      const labels = tf.tensor1d(set.labels.subarray(start, end), 'int32');
      const z = tf.add(tf.matMul(x, kernel), bias);
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, k), z, undefined, undefined, tf.Reduction.SUM);
      const h = tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), labels), 'float32'));
      return [l.dataSync()[0] as number, h.dataSync()[0] as number, z.dataSync() as Float32Array];
    });
    lossSum += loss;
    correct += hits;
    logits.set(out, start * k);
  }
  return { loss: n > 0 ? lossSum / n : 0, accuracy: n > 0 ? correct / n : 0, logits };
}

export async function trainHead(train: FeatureSet, val: FeatureSet | undefined, o: HeadTrainingOptions): Promise<HeadTrainingResult> {
  const n = train.rows;
  if (n === 0) throw new WorkbenchError('BAD_INPUT', 'There are no training images to learn from.');
  const init = o.resume?.weights ?? initialHead(train.channels, o.numClasses, o.seed);
  // Unnamed variables: tfjs names must be unique per process, and two runs may train at once.
  const kernel = tf.tidy(() => tf.variable(tf.tensor2d(init.kernel, [train.channels, o.numClasses]), true));
  const bias = tf.tidy(() => tf.variable(tf.tensor1d(init.bias), true));
  const slotKeys = new Map<tf.Variable, string>([
    [kernel, 'fc.kernel'],
    [bias, 'fc.bias'],
  ]);
  const optimizer = new TorchStyleOptimizer(o.optimizer);
  if (o.resume) optimizer.setState(o.resume.optimizer, slotKeys);
  const batches = Math.ceil(n / o.batchSize);
  const totalSteps = batches * o.epochs;
  const snapshot = (): HeadWeights => ({ kernel: kernel.dataSync().slice() as Float32Array, bias: bias.dataSync().slice() as Float32Array });
  let best = o.resume?.best ?? snapshot();
  let bestEpoch = o.resume?.bestEpoch ?? 0;
  let bestScore = o.resume?.bestScore ?? Number.NEGATIVE_INFINITY;
  let sinceBest = o.resume?.sinceBest ?? 0;
  let stoppedEarly = false;
  const history: HeadEpochResult[] = [...(o.resume?.history ?? [])];
  try {
    for (let epoch = (o.resume?.epoch ?? 0) + 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      const order = shuffledIndices(n, createRng(deriveSeed(o.seed, SEED_STREAM.headShuffle, epoch)));
      let lossSum = 0;
      let correct = 0;
      let lr = o.lr;
      for (let b = 0; b < batches; b++) {
        if (o.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Training was cancelled.');
        const idx = order.subarray(b * o.batchSize, (b + 1) * o.batchSize);
        const x = train.read(idx);
        const y = Int32Array.from(idx, (row) => train.labels[row] as number);
        const step = (epoch - 1) * batches + b;
        lr = learningRateAt(step, { schedule: o.schedule, lr: o.lr, totalSteps });
        const { loss, hits } = tf.tidy(() => {
          const xs = tf.tensor2d(x, [idx.length, train.channels]);
          const labels = tf.tensor1d(y, 'int32');
          const ys = tf.oneHot(labels, o.numClasses);
          let h = 0;
          const { value, grads } = tf.variableGrads(() => {
            const logits = tf.add(tf.matMul(xs, kernel), bias);
            // Scored from the same forward pass (before the step); these ops are off the gradient path.
            h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')).dataSync()[0] as number;
            return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
          }, [kernel, bias]);
          const l = value.dataSync()[0] as number;
          if (!Number.isFinite(l)) {
            return { loss: l, hits: 0 };
          }
          optimizer.applyGradients(new Map<tf.Variable, tf.Tensor>([[kernel, grads[kernel.name] as tf.Tensor], [bias, grads[bias.name] as tf.Tensor]]), () => lr);
          return { loss: l, hits: h };
        });
        if (!Number.isFinite(loss)) {
          throw new WorkbenchError(
            'TRAINING_DIVERGED',
            `The loss became ${loss} at epoch ${epoch}, batch ${b + 1} (learning rate ${lr.toPrecision(3)}). Try a lower learning rate; the last good checkpoint is kept.`,
          );
        }
        lossSum += loss * idx.length;
        correct += hits;
        o.onBatch?.({ epoch, batch: b + 1, batches, loss, accuracy: hits / idx.length, lr });
      }
      // A step can leave the weights non-finite with a finite loss (the loss is taken before the
      // step): checked here, before anything of this epoch is scored or saved.
      const weightsNow = snapshot();
      const badKernel = firstNonFinite(weightsNow.kernel);
      const badBias = firstNonFinite(weightsNow.bias);
      if (badKernel >= 0 || badBias >= 0) {
        const value = badKernel >= 0 ? weightsNow.kernel[badKernel] : weightsNow.bias[badBias];
        throw new WorkbenchError(
          'TRAINING_DIVERGED',
          `The head's weights became ${value} at epoch ${epoch} (learning rate ${lr.toPrecision(3)}). Try a lower learning rate; the last good checkpoint is kept.`,
        );
      }
      const scores = val && val.rows > 0 ? evaluateHead(kernel as tf.Tensor2D, bias as tf.Tensor1D, val) : undefined;
      const result: HeadEpochResult = {
        epoch,
        trainLoss: lossSum / n,
        trainAccuracy: correct / n,
        valLoss: scores?.loss ?? null,
        valAccuracy: scores?.accuracy ?? null,
        lr,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(result);
      // Without validation data, the last epoch is the best we can tell.
      const score = scores ? scores.accuracy - scores.loss * 1e-9 : epoch;
      if (score > bestScore) {
        bestScore = score;
        bestEpoch = epoch;
        best = weightsNow;
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      await o.onEpoch?.(result, scores?.logits, {
        epoch,
        weights: weightsNow,
        optimizer: optimizer.getState(slotKeys),
        best,
        bestEpoch,
        bestScore,
        sinceBest,
        history: [...history],
      });
      if (o.patience !== undefined && sinceBest >= o.patience && epoch < o.epochs) {
        stoppedEarly = true;
        break;
      }
    }
    return { best, bestEpoch, last: snapshot(), history, stoppedEarly };
  } finally {
    optimizer.dispose();
    kernel.dispose();
    bias.dispose();
  }
}
