import { describe, expect, it } from 'vitest';
import { classificationReport, confusionMatrix, topKAccuracy } from '../../src-main/common/metrics';

describe('classification metrics', () => {
  // Expected values worked by hand from the matrix below (same definitions as scikit-learn, zero_division=0).
  const labels = ['cat', 'dog', 'fox'];
  const actual = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 1, 0, 1, 1, 2, 0, 2, 1];

  it('puts actual classes on rows and predictions on columns', () => {
    const cm = confusionMatrix(labels, actual, predicted);
    expect(cm).toEqual({ labels, matrix: [[2, 1, 0], [0, 2, 0], [1, 1, 2]] });
  });

  it('computes precision, recall, F1, support, accuracy and macro F1', () => {
    const r = classificationReport(confusionMatrix(labels, actual, predicted));
    expect(r.accuracy).toBeCloseTo(6 / 9, 12);
    const [cat, dog, fox] = r.perClass;
    expect(cat).toMatchObject({ label: 'cat', support: 3 });
    expect(cat!.precision).toBeCloseTo(2 / 3, 12);
    expect(cat!.recall).toBeCloseTo(2 / 3, 12);
    expect(dog!.precision).toBeCloseTo(0.5, 12);
    expect(dog!.recall).toBeCloseTo(1, 12);
    expect(dog!.f1).toBeCloseTo(2 / 3, 12);
    expect(fox!.precision).toBeCloseTo(1, 12);
    expect(fox!.recall).toBeCloseTo(0.5, 12);
    expect(r.macroF1).toBeCloseTo((2 / 3 + 2 / 3 + 2 / 3) / 3, 12);
  });

  it('reports 0, not NaN, for a class never predicted and never present', () => {
    const r = classificationReport(confusionMatrix(['a', 'b'], [0, 0], [0, 0]));
    expect(r.perClass[1]).toEqual({ label: 'b', precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('rejects mismatched lengths and out-of-range classes', () => {
    expect(() => confusionMatrix(labels, [0], [0, 1])).toThrow(/1 entries, predicted 2/);
    expect(() => confusionMatrix(labels, [3], [0])).toThrow(/out of range/);
  });

  it('counts top-k hits', () => {
    const scores = [
      [0.1, 0.7, 0.2],
      [0.5, 0.3, 0.2],
      [0.2, 0.2, 0.6],
    ];
    expect(topKAccuracy(scores, [2, 1, 2], 1)).toBeCloseTo(1 / 3, 12);
    expect(topKAccuracy(scores, [2, 1, 2], 2)).toBeCloseTo(1, 12);
    expect(topKAccuracy(scores, [0, 2, 0], 2)).toBeCloseTo(1 / 3, 12);
  });
});
