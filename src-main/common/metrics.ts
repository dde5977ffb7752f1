/**
 * Classification metrics computed from predictions; pure data in, pure data out, so the trainer
 * computes them once and every UI only draws them.
 */

/** Rows are actual classes, columns predicted classes (scikit-learn's convention). */
export interface ConfusionMatrix {
  labels: string[];
  matrix: number[][];
}

export interface ClassReport {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of examples whose actual class this is. */
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  perClass: ClassReport[];
  /**
   * Mean F1 over the classes present in the actual or the predicted classes (scikit-learn's
   * `f1_score(average='macro')` with its default labels): a class with no evaluation image that was
   * never predicted neither helps nor hurts. `perClass` still lists every class.
   */
  macroF1: number;
  /** Support-weighted mean F1. */
  weightedF1: number;
}

export function confusionMatrix(labels: readonly string[], actual: readonly number[], predicted: readonly number[]): ConfusionMatrix {
  if (actual.length !== predicted.length) throw new Error(`actual has ${actual.length} entries, predicted ${predicted.length}`);
  const k = labels.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  actual.forEach((a, i) => {
    const p = predicted[i] as number;
    if (!(a >= 0 && a < k && p >= 0 && p < k)) throw new Error(`class index out of range at ${i}: actual ${a}, predicted ${p}, classes ${k}`);
    (matrix[a] as number[])[p]! += 1;
  });
  return { labels: [...labels], matrix };
}

/** Precision, recall and F1 per class; 0 where undefined (no predictions or no support), as scikit-learn's zero_division=0. */
export function classificationReport(cm: ConfusionMatrix): ClassificationReport {
  const k = cm.labels.length;
  let correct = 0;
  let total = 0;
  const present: boolean[] = [];
  const perClass: ClassReport[] = cm.labels.map((label, c) => {
    const row = cm.matrix[c] ?? [];
    const tp = row[c] ?? 0;
    const support = row.reduce((a, b) => a + b, 0);
    let predictedAs = 0;
    for (let r = 0; r < k; r++) predictedAs += cm.matrix[r]?.[c] ?? 0;
    correct += tp;
    total += support;
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    present.push(support > 0 || predictedAs > 0);
    return { label, precision, recall, f1, support };
  });
  const counted = perClass.filter((_, c) => present[c]);
  const macroF1 = counted.length > 0 ? counted.reduce((a, r) => a + r.f1, 0) / counted.length : 0;
  const weightedF1 = total > 0 ? perClass.reduce((a, r) => a + r.f1 * r.support, 0) / total : 0;
  return { accuracy: total > 0 ? correct / total : 0, perClass, macroF1, weightedF1 };
}

/**
 * The k of the top-k accuracy worth showing for `classes` classes: `preferred` (5 by default) when
 * it is below the class count, else the largest k below it; undefined with 2 classes or fewer, where
 * top-1 is the only k that is not 100 % by construction (scikit-learn's top_k_accuracy_score warns
 * for k >= classes for the same reason).
 */
export function informativeTopK(classes: number, preferred = 5): number | undefined {
  const k = Math.min(preferred, classes - 1);
  return k >= 2 ? k : undefined;
}

/** Fraction of rows whose actual class is among the k highest scores (ties broken by lower index). */
export function topKAccuracy(scores: readonly (readonly number[])[], actual: readonly number[], k: number): number {
  if (scores.length === 0) return 0;
  let hits = 0;
  scores.forEach((row, i) => {
    const a = actual[i] as number;
    const target = row[a] as number;
    // Rank of the actual class = how many classes beat it.
    let better = 0;
    row.forEach((v, j) => {
      if (v > target || (v === target && j < a)) better++;
    });
    if (better < k) hits++;
  });
  return hits / scores.length;
}
