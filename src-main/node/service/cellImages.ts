/** `runs.images`: the evaluation images behind one confusion-matrix cell, most confident first. */
import type { CallParams, CallResult, CellImage } from '../../common/contract';
import { WorkbenchError } from '../../common/errors';
import { readEpochPredictions } from '../train/epochPredictions';

export async function cellImages(folder: string, params: CallParams<'runs.images'>): Promise<CallResult<'runs.images'>> {
  const stored = await readEpochPredictions(folder, params.epoch);
  const classes = stored.labels.length;
  for (const [name, index] of [['actual', params.actual], ['predicted', params.predicted]] as const) {
    if (index >= classes) throw new WorkbenchError('BAD_INPUT', `The ${name} class index ${index} is out of range: the run has ${classes} classes (0–${classes - 1}).`);
  }
  const images: CellImage[] = [];
  stored.actual.forEach((actual, i) => {
    if (actual === params.actual && stored.predicted[i] === params.predicted) {
      images.push({ file: stored.files[i] as string, confidence: stored.confidence[i] as number });
    }
  });
  images.sort((a, b) => b.confidence - a.confidence);
  return {
    epoch: stored.epoch,
    actual: stored.labels[params.actual] as string,
    predicted: stored.labels[params.predicted] as string,
    total: images.length,
    images: images.slice(0, params.limit),
  };
}
