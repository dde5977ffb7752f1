/**
 * Fine-tuning: the head and the chosen backbone stages learn together, the backbone at a lower rate.
 * Needs convolution gradients (tfjs-node, wasm with ours from engine/wasmKernels.ts, or the slow
 * pure-JS cpu backend). BatchNorm keeps its ImageNet running statistics (inference mode) while its
 * scale and shift train: with the small batches a desktop affords, batch statistics are too noisy to
 * learn from. The frozen stages run forward-only outside the gradient tape (splitNetwork.ts).
 */
import * as tf from '../engine/tf';
import { WorkbenchError } from '../../common/errors';
import type { UnfreezeDepth } from '../../common/runConfig';
import { learningRateAt, type ScheduleName } from '../../common/schedules';
import type { BatchLoader } from '../dataset/batchLoader';
import { HEAD_LAYER } from '../engine/resnet';
import type { HeadEpochResult } from './headTrainer';
import type { FineTuneNetwork } from './splitNetwork';
import { TorchStyleOptimizer, type OptimizerConfig, type OptimizerState } from './optimizers';

export interface FineTuneOptions {
  numClasses: number;
  epochs: number;
  lr: number;
  /** Backbone learning rate = lr × this. */
  backboneLrScale: number;
  schedule: ScheduleName;
  optimizer: OptimizerConfig;
  unfreeze: UnfreezeDepth;
  patience?: number;
  signal?: AbortSignal;
  onBatch?: (e: { epoch: number; batch: number; batches: number; loss: number; accuracy: number; lr: number }) => void;
  /** After each epoch: its scores, the evaluation images' logits (with their labels and files) and the state to checkpoint. */
  onEpoch?: (e: HeadEpochResult, evaluated: LoaderPredictions, state: FineTuneState) => void | Promise<void>;
  resume?: FineTuneState;
}

export interface FineTuneState {
  epoch: number;
  optimizer: OptimizerState;
  bestEpoch: number;
  bestScore: number;
  sinceBest: number;
  history: HeadEpochResult[];
  /** True when this epoch is the best so far (the model's weights are then the best weights). */
  isBest: boolean;
}

export interface FineTuneResult {
  bestEpoch: number;
  history: HeadEpochResult[];
  stoppedEarly: boolean;
}

/** Layer-name prefixes that train for each fine-tune depth (the head always trains). */
const TRAINABLE_PREFIXES: Record<UnfreezeDepth, readonly string[]> = {
  layer4: ['layer4.'],
  layer3: ['layer3.', 'layer4.'],
  all: [''],
};

export function trainableLayers(model: tf.LayersModel, unfreeze: UnfreezeDepth): tf.layers.Layer[] {
  const prefixes = TRAINABLE_PREFIXES[unfreeze];
  return model.layers.filter(
    (layer) => layer.trainableWeights.length > 0 && (layer.name === HEAD_LAYER || prefixes.some((p) => layer.name.startsWith(p))),
  );
}

/** Logits of every evaluation image, in loader order, with their labels. */
export interface LoaderPredictions {
  /** rows × classes, row-major. */
  logits: Float32Array;
  labels: Int32Array;
  paths: string[];
}

export async function predictLoader(network: FineTuneNetwork, loader: BatchLoader, numClasses: number, signal?: AbortSignal): Promise<LoaderPredictions> {
  const logits: Float32Array[] = [];
  const labels: number[] = [];
  const paths: string[] = [];
  for await (const batch of loader.epoch(0)) {
    if (signal?.aborted) throw new WorkbenchError('CANCELLED', 'Training was cancelled.');
    const inputs = await network.inputs(batch.images, batch.count, batch.size);
    try {
      logits.push(tf.tidy(() => (network.trainable.predict(inputs) as tf.Tensor).dataSync() as Float32Array));
    } finally {
      inputs.dispose();
    }
    labels.push(...batch.labels);
    paths.push(...batch.paths);
  }
  const all = new Float32Array(labels.length * numClasses);
  let offset = 0;
  for (const part of logits) {
    all.set(part, offset);
    offset += part.length;
  }
  return { logits: all, labels: Int32Array.from(labels), paths };
}

function meanCrossEntropy(logits: Float32Array, labels: Int32Array, k: number): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    const row = logits.subarray(r * k, (r + 1) * k);
    const max = Math.max(...row);
    const lse = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
    loss += lse - (row[labels[r] as number] as number);
    if (row.indexOf(max) === labels[r]) correct++;
  }
  return { loss: labels.length ? loss / labels.length : 0, accuracy: labels.length ? correct / labels.length : 0 };
}

/**
 * Train `network.trainable`'s unfrozen layers and head. Its layers are the full model's (shared), so
 * the full model holds the result.
 */
export async function fineTune(network: FineTuneNetwork, trainLoader: BatchLoader, evalLoader: BatchLoader, o: FineTuneOptions): Promise<FineTuneResult> {
  const model = network.trainable;
  const layers = trainableLayers(model, o.unfreeze);
  const variables: tf.Variable[] = [];
  const keys = new Map<tf.Variable, string>();
  const lrScale = new Map<tf.Variable, number>();
  for (const layer of layers) {
    for (const weight of layer.trainableWeights) {
      const variable = weight.read() as tf.Variable;
      variables.push(variable);
      keys.set(variable, `${layer.name}/${weight.originalName.split('/').pop() ?? weight.name}`);
      lrScale.set(variable, layer.name === HEAD_LAYER ? 1 : o.backboneLrScale);
    }
  }
  const optimizer = new TorchStyleOptimizer(o.optimizer);
  if (o.resume) optimizer.setState(o.resume.optimizer, keys);
  const batches = trainLoader.batchesPerEpoch;
  const totalSteps = batches * o.epochs;
  let bestEpoch = o.resume?.bestEpoch ?? 0;
  let bestScore = o.resume?.bestScore ?? Number.NEGATIVE_INFINITY;
  let sinceBest = o.resume?.sinceBest ?? 0;
  const history: HeadEpochResult[] = [...(o.resume?.history ?? [])];
  let stoppedEarly = false;
  try {
    for (let epoch = (o.resume?.epoch ?? 0) + 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = o.lr;
      for await (const batch of trainLoader.epoch(epoch - 1)) {
        if (o.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Training was cancelled.');
        lr = learningRateAt((epoch - 1) * batches + batch.index, { schedule: o.schedule, lr: o.lr, totalSteps });
        // The frozen prefix runs here, outside the tape: nothing of it is kept for the backward pass.
        const x = await network.inputs(batch.images, batch.count, batch.size);
        const step = (): { loss: number; hits: number } =>
          tf.tidy(() => {
            const labels = tf.tensor1d(batch.labels, 'int32');
            const ys = tf.oneHot(labels, o.numClasses);
            let h = 0;
            const { value, grads } = tf.variableGrads(() => {
              const logits = model.apply(x, { training: false }) as tf.Tensor;
              // Scored from the same forward pass; these ops are off the loss's gradient path.
              h = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')).dataSync()[0] as number;
              return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
            }, variables);
            const l = value.dataSync()[0] as number;
            if (!Number.isFinite(l)) return { loss: l, hits: 0 };
            optimizer.applyGradients(new Map(variables.map((v) => [v, grads[v.name] as tf.Tensor])), (v) => lr * (lrScale.get(v) ?? 1));
            return { loss: l, hits: h };
          });
        let outcome: { loss: number; hits: number };
        try {
          outcome = step();
        } finally {
          x.dispose();
        }
        const { loss, hits } = outcome;
        if (!Number.isFinite(loss)) {
          throw new WorkbenchError(
            'TRAINING_DIVERGED',
            `The loss became ${loss} at epoch ${epoch}, batch ${batch.index + 1} (learning rate ${lr.toPrecision(3)}). Try a lower learning rate; the last good checkpoint is kept.`,
          );
        }
        lossSum += loss * batch.count;
        correct += hits;
        seen += batch.count;
        o.onBatch?.({ epoch, batch: batch.index + 1, batches, loss, accuracy: hits / batch.count, lr });
      }
      const evaluated = await predictLoader(network, evalLoader, o.numClasses, o.signal);
      const scores = meanCrossEntropy(evaluated.logits, evaluated.labels, o.numClasses);
      const result: HeadEpochResult = {
        epoch,
        trainLoss: seen ? lossSum / seen : 0,
        trainAccuracy: seen ? correct / seen : 0,
        valLoss: scores.loss,
        valAccuracy: scores.accuracy,
        lr,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(result);
      const score = scores.accuracy - scores.loss * 1e-9;
      const isBest = score > bestScore;
      if (isBest) {
        bestScore = score;
        bestEpoch = epoch;
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      await o.onEpoch?.(result, evaluated, {
        epoch,
        optimizer: optimizer.getState(keys),
        bestEpoch,
        bestScore,
        sinceBest,
        history: [...history],
        isBest,
      });
      if (o.patience !== undefined && sinceBest >= o.patience && epoch < o.epochs) {
        stoppedEarly = true;
        break;
      }
    }
    return { bestEpoch, history, stoppedEarly };
  } finally {
    optimizer.dispose();
  }
}
