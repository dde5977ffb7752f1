/**
 * Inference on image files: decode, eval transform, batched forward pass of the frozen classifier
 * (frozenNetwork.ts: ONNX Runtime or tfjs), softmax, top-k. Used by `predict`, `models.predict` and
 * `models.classify` (Try it).
 */
import type { Normalization } from '../../common/normalization';
import { toErrorData, type ErrorData } from '../../common/errors';
import { loadEvalImage } from '../dataset/transforms';
import type { FrozenNetwork } from './frozenNetwork';

export interface ClassifyOptions {
  /** Input side in pixels. Default 224. */
  imageSize: number;
  /** Center-crop fraction; 1 is a plain resize. Default 0.875. */
  crop: number;
  normalization: Normalization;
  /** Images per forward pass. Default 8. */
  batchSize?: number;
  /** How many classes to list per image. Default 5. */
  topK?: number;
  /** Class names in index order; indices are used where absent. */
  labels?: readonly string[];
}

export interface TopClass {
  index: number;
  label: string;
  probability: number;
}

export type ImagePrediction =
  | { file: string; logits: number[]; probabilities: number[]; top: TopClass[] }
  | { file: string; error: ErrorData };

/** Numerically stable softmax in float64. */
export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

export function topK(probabilities: readonly number[], k: number, labels?: readonly string[]): TopClass[] {
  return probabilities
    .map((probability, index) => ({ index, label: labels?.[index] ?? String(index), probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, Math.max(0, k));
}

/**
 * Classify files in batches; yields one prediction per file in input order. A file that cannot be
 * decoded yields an error entry instead of ending the run.
 */
export async function* classifyImages(network: FrozenNetwork, files: readonly string[], options: ClassifyOptions): AsyncGenerator<ImagePrediction> {
  const batchSize = options.batchSize ?? 8;
  const side = options.imageSize;
  for (let start = 0; start < files.length; start += batchSize) {
    const chunk = files.slice(start, start + batchSize);
    type Decoded = { file: string; pixels: Float32Array } | { file: string; error: ErrorData };
    const decoded = await Promise.all(
      chunk.map(async (file): Promise<Decoded> => {
        try {
          return { file, pixels: await loadEvalImage(file, { size: side, crop: options.crop, normalization: options.normalization }) };
        } catch (error) {
          return { file, error: toErrorData(error) };
        }
      }),
    );
    const good = decoded.filter((d): d is { file: string; pixels: Float32Array } => 'pixels' in d);
    let rows: number[][] = [];
    if (good.length > 0) {
      const batch = new Float32Array(good.length * side * side * 3);
      good.forEach((d, i) => batch.set(d.pixels, i * side * side * 3));
      const logits = await network.run(batch, good.length);
      const classes = network.outputShape[0] ?? 0;
      rows = good.map((_, i) => Array.from(logits.subarray(i * classes, (i + 1) * classes)));
    }
    let row = 0;
    for (const d of decoded) {
      if ('error' in d) {
        yield { file: d.file, error: d.error };
        continue;
      }
      const logits = rows[row++] ?? [];
      const probabilities = softmax(logits);
      yield { file: d.file, logits, probabilities, top: topK(probabilities, options.topK ?? 5, options.labels) };
    }
  }
}
