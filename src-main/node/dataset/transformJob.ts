/**
 * One image through the input pipeline: read, decode, transform to size × size, normalize into a
 * slot of the caller's array. A pure function of the job, so it gives the same values on the
 * loader's thread or in a worker thread (which writes into shared memory the loader reads).
 */
import { readFileLimited } from './checkImageFile';
import { tryDecodeImageBytes, type DecodeOptions } from './decode';
import type { DatasetIssue } from './issues';
import { createRng, deriveSeed } from './random';
import { evalPlan, resampleNormalizedInto, trainPlan, type EvalTransformOptions, type TrainTransformOptions } from './transforms';

export type LoaderTransform = { kind: 'train'; options: TrainTransformOptions } | { kind: 'eval'; options: EvalTransformOptions };

export interface TransformJob {
  path: string;
  transform: LoaderTransform;
  /** Augmentation draws come from (seed, epoch, sampleIndex). */
  seed: number;
  epoch: number;
  sampleIndex: number;
  maxPixels?: DecodeOptions['maxPixels'];
  maxFileBytes: number;
}

/** On success the slot holds size × size × 3 normalized float32, HWC (one image of an NHWC batch). */
export type TransformResult = { ok: true } | { ok: false; issue: DatasetIssue };

/** Values per image of a transform: size × size × 3. */
export const valuesPerImage = (transform: LoaderTransform): number => transform.options.size * transform.options.size * 3;

/** Runs `job`, writing the image's values into `target` from `offset` on. */
export async function runTransformJob(job: TransformJob, target: Float32Array, offset: number): Promise<TransformResult> {
  const { path, transform } = job;
  const read = await readFileLimited(path, job.maxFileBytes);
  if (!read.ok) return read;
  const decoded = await tryDecodeImageBytes(read.bytes, job.maxPixels !== undefined ? { maxPixels: job.maxPixels } : {});
  if (!decoded.ok) return { ok: false, issue: { path, ...decoded.problem } };
  try {
    const image = decoded.value;
    const plan =
      transform.kind === 'eval'
        ? evalPlan(image.width, image.height, transform.options.size, transform.options.crop)
        : trainPlan(image.width, image.height, transform.options, createRng(deriveSeed(job.seed, job.epoch, job.sampleIndex)));
    resampleNormalizedInto(image, plan, transform.options.normalization, target, offset);
    return { ok: true };
  } catch (error) {
    return { ok: false, issue: { path, reason: 'corrupt', detail: `cannot transform: ${error instanceof Error ? error.message : String(error)}` } };
  }
}
