/**
 * Runs the frozen backbone (inference mode: BatchNorm uses its running statistics; ONNX Runtime or
 * tfjs, see engine/frozenNetwork.ts) over every batch of a loader epoch and writes the pooled features
 * to a features file as they come (featureStore.ts): the expensive part of linear training, done once.
 */
import { WorkbenchError } from '../../common/errors';
import type { BatchLoader } from '../dataset/batchLoader';
import type { FrozenNetwork } from '../engine/frozenNetwork';
import type { FeatureFileWriter } from './featureStore';

export interface ExtractOptions {
  signal?: AbortSignal;
  /** After each batch, with the images done so far in this pass. */
  onBatch?: (imagesDone: number) => void;
}

/** Appends the features of one loader epoch to `writer`; returns the number of rows written. */
export async function extractFeatures(backbone: FrozenNetwork, loader: BatchLoader, epoch: number, writer: FeatureFileWriter, options: ExtractOptions = {}): Promise<number> {
  const channels = backbone.outputShape[0] ?? 0;
  if (channels !== writer.channels) throw new Error(`The backbone gives ${channels} features per image; the features file holds ${writer.channels}.`);
  let done = 0;
  for await (const batch of loader.epoch(epoch)) {
    if (options.signal?.aborted) throw new WorkbenchError('CANCELLED', 'Training was cancelled.');
    const features = await backbone.run(batch.images, batch.count);
    const bad = features.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new WorkbenchError(
        'TRAINING_DIVERGED',
        `The backbone produced non-finite features for ${batch.paths[Math.floor(bad / channels)] ?? 'an image'}: the weights or the normalization (mean/std) are out of range.`,
      );
    }
    writer.append(features.subarray(0, batch.count * channels), batch.labels, batch.paths.slice(0, batch.count));
    done += batch.count;
    options.onBatch?.(done);
  }
  return done;
}
