/**
 * One image through the input pipeline: read, decode, transform to size × size RGB bytes. A pure
 * function of the job, so it gives the same bytes on the loader's thread or in a worker thread.
 */
import { readFileLimited } from './checkImageFile';
import { tryDecodeImageBytes, type DecodeOptions } from './decode';
import type { DatasetIssue } from './issues';
import { createRng, deriveSeed } from './random';
import { augmentForTraining, resizeForEval, type EvalTransformOptions, type TrainTransformOptions } from './transforms';

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

/** `pixels`: size × size × 3 bytes, HWC. */
export type TransformResult = { ok: true; pixels: Uint8Array } | { ok: false; issue: DatasetIssue };

export async function runTransformJob(job: TransformJob): Promise<TransformResult> {
  const { path, transform } = job;
  const read = await readFileLimited(path, job.maxFileBytes);
  if (!read.ok) return read;
  const decoded = await tryDecodeImageBytes(read.bytes, job.maxPixels !== undefined ? { maxPixels: job.maxPixels } : {});
  if (!decoded.ok) return { ok: false, issue: { path, ...decoded.problem } };
  try {
    const image =
      transform.kind === 'eval'
        ? await resizeForEval(decoded.value, transform.options.size, transform.options.crop)
        : await augmentForTraining(decoded.value, transform.options, createRng(deriveSeed(job.seed, job.epoch, job.sampleIndex)));
    return { ok: true, pixels: image.data };
  } catch (error) {
    return { ok: false, issue: { path, reason: 'corrupt', detail: `cannot transform: ${error instanceof Error ? error.message : String(error)}` } };
  }
}
