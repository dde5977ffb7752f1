/**
 * Runs the frozen backbone (inference mode: BatchNorm uses its running statistics; ONNX Runtime or
 * tfjs, see engine/frozenNetwork.ts) over every batch of a loader epoch and keeps the pooled features: the expensive part of linear training, done once.
 */
import { WorkbenchError } from '../../common/errors';
import type { BatchLoader } from '../dataset/batchLoader';
import type { FrozenNetwork } from '../engine/frozenNetwork';
import type { FeatureSet } from './headTrainer';

export interface ExtractedFeatures extends FeatureSet {
  /** Image path per row. */
  paths: string[];
}

export interface ExtractOptions {
  signal?: AbortSignal;
  /** After each batch, with the images done so far in this pass. */
  onBatch?: (imagesDone: number) => void;
}

export function concatFeatures(parts: readonly ExtractedFeatures[]): ExtractedFeatures {
  const channels = parts[0]?.channels ?? 0;
  const rows = parts.reduce((n, p) => n + p.labels.length, 0);
  const features = new Float32Array(rows * channels);
  const labels = new Int32Array(rows);
  const paths: string[] = [];
  let row = 0;
  for (const part of parts) {
    features.set(part.features, row * channels);
    labels.set(part.labels, row);
    paths.push(...part.paths);
    row += part.labels.length;
  }
  return { features, labels, channels, paths };
}

export async function extractFeatures(backbone: FrozenNetwork, loader: BatchLoader, epoch: number, options: ExtractOptions = {}): Promise<ExtractedFeatures> {
  const channels = backbone.outputShape[0] ?? 0;
  const chunks: ExtractedFeatures[] = [];
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
    chunks.push({ features, labels: Int32Array.from(batch.labels), channels, paths: [...batch.paths] });
    done += batch.count;
    options.onBatch?.(done);
  }
  return concatFeatures(chunks.length > 0 ? chunks : [{ features: new Float32Array(0), labels: new Int32Array(0), channels, paths: [] }]);
}
