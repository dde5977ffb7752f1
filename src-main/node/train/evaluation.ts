/**
 * Turns a head's logits on the evaluation images into everything the UI and the report show.
 */
import { classificationReport, confusionMatrix, topKAccuracy } from '../../common/metrics';
import type { Misclassified, RunEventPayload } from '../../common/runEvents';

export const MAX_MISCLASSIFIED = 200;

export type Evaluation = Omit<RunEventPayload<'run.evaluation'>, 'runId' | 'epoch' | 'split'>;

/**
 * @param logits rows × classes, row-major
 * @param labels actual class per row
 * @param files image path per row
 */
export function evaluateLogits(logits: Float32Array, labels: Int32Array, files: readonly string[], classNames: readonly string[], k = 5): Evaluation {
  const classes = classNames.length;
  const n = labels.length;
  const predicted: number[] = [];
  const scores: number[][] = [];
  const wrong: Misclassified[] = [];
  let lossSum = 0;
  for (let r = 0; r < n; r++) {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const max = Math.max(...row);
    const logSum = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
    const actual = labels[r] as number;
    let best = 0;
    row.forEach((v, c) => {
      if (v > (row[best] as number)) best = c;
    });
    const loss = logSum - (row[actual] as number);
    lossSum += loss;
    predicted.push(best);
    scores.push(row);
    if (best !== actual) {
      wrong.push({
        file: files[r] ?? '',
        actual: classNames[actual] ?? String(actual),
        predicted: classNames[best] ?? String(best),
        confidence: Math.exp((row[best] as number) - logSum),
        loss,
      });
    }
  }
  const cm = confusionMatrix(classNames, Array.from(labels), predicted);
  const report = classificationReport(cm);
  const topK = Math.min(k, classes);
  return {
    accuracy: report.accuracy,
    loss: n > 0 ? lossSum / n : 0,
    topK: { k: topK, accuracy: topKAccuracy(scores, Array.from(labels), topK) },
    confusionMatrix: cm,
    perClass: report.perClass,
    macroF1: report.macroF1,
    misclassified: wrong.sort((a, b) => b.loss - a.loss).slice(0, MAX_MISCLASSIFIED),
  };
}
