/**
 * Turns a head's logits on the evaluation images into everything the UI and the report show.
 */
import { classificationReport, confusionMatrix, informativeTopK, topKAccuracy } from '../../common/metrics';
import { WorkbenchError } from '../../common/errors';
import type { Misclassified, RunEventPayload } from '../../common/runEvents';

export const MAX_MISCLASSIFIED = 200;

export type Evaluation = Omit<RunEventPayload<'run.evaluation'>, 'runId' | 'epoch' | 'split'>;

/** Each evaluation image's outcome, in the evaluation set's order. */
export interface ImageScores {
  files: readonly string[];
  actual: number[];
  predicted: number[];
  /** Softmax probability of the predicted class. */
  confidence: number[];
  /** Cross-entropy of the image. */
  loss: number[];
}

/**
 * Throws TRAINING_DIVERGED when a logit is NaN or infinite: argmax over NaN would score an arbitrary
 * class and the run would report (and keep) a broken model as if it had merely done badly.
 */
export function assertFiniteLogits(logits: Float32Array, files: readonly string[], classes: number): void {
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i] as number)) {
      const file = files[Math.floor(i / Math.max(1, classes))] ?? 'an evaluation image';
      throw new WorkbenchError('TRAINING_DIVERGED', `The model's output for ${file} is ${logits[i]}: its weights are broken. Try a lower learning rate; the last good checkpoint is kept.`);
    }
  }
}

/**
 * @param logits rows × classes, row-major
 * @param labels actual class per row
 * @param files image path per row
 */
export function scoreImages(logits: Float32Array, labels: Int32Array, files: readonly string[], classes: number): ImageScores {
  assertFiniteLogits(logits, files, classes);
  const scores: ImageScores = { files, actual: [], predicted: [], confidence: [], loss: [] };
  for (let r = 0; r < labels.length; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    let best = 0;
    for (let c = 1; c < classes; c++) if ((row[c] as number) > (row[best] as number)) best = c;
    const max = row[best] as number;
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((row[c] as number) - max);
    const logSum = Math.log(sum) + max;
    const actual = labels[r] as number;
    scores.actual.push(actual);
    scores.predicted.push(best);
    scores.confidence.push(Math.exp(max - logSum));
    scores.loss.push(logSum - (row[actual] as number));
  }
  return scores;
}

/** Accuracy, loss, top-k, confusion matrix, per-class scores and the worst mistakes of scored images. */
export function evaluateScores(scores: ImageScores, logits: Float32Array, classNames: readonly string[], k = 5): Evaluation {
  const classes = classNames.length;
  const n = scores.actual.length;
  const rows: number[][] = [];
  for (let r = 0; r < n; r++) rows.push(Array.from(logits.subarray(r * classes, (r + 1) * classes)));
  const wrong: Misclassified[] = [];
  for (let r = 0; r < n; r++) {
    const actual = scores.actual[r] as number;
    const best = scores.predicted[r] as number;
    if (best === actual) continue;
    wrong.push({
      file: scores.files[r] ?? '',
      actual: classNames[actual] ?? String(actual),
      predicted: classNames[best] ?? String(best),
      confidence: scores.confidence[r] as number,
      loss: scores.loss[r] as number,
    });
  }
  const cm = confusionMatrix(classNames, scores.actual, scores.predicted);
  const report = classificationReport(cm);
  // Top-k with k >= classes is 100 % by construction: left out rather than shown.
  const topK = informativeTopK(classes, k);
  return {
    accuracy: report.accuracy,
    loss: n > 0 ? scores.loss.reduce((a, v) => a + v, 0) / n : 0,
    topK: topK === undefined ? null : { k: topK, accuracy: topKAccuracy(rows, scores.actual, topK) },
    confusionMatrix: cm,
    perClass: report.perClass,
    macroF1: report.macroF1,
    misclassified: wrong.sort((a, b) => b.loss - a.loss).slice(0, MAX_MISCLASSIFIED),
  };
}

/** An evaluation with each image's outcome (for the run folder's per-image results). */
export interface ScoredEvaluation {
  evaluation: Evaluation;
  scores: ImageScores;
}

/** Everything of an evaluation from its logits (parameters as for `scoreImages`). */
export function evaluateLogits(logits: Float32Array, labels: Int32Array, files: readonly string[], classNames: readonly string[], k = 5): ScoredEvaluation {
  const scores = scoreImages(logits, labels, files, classNames.length);
  return { evaluation: evaluateScores(scores, logits, classNames, k), scores };
}
