import { describe, expect, it } from 'vitest';
import { appendToRunSeries, emptyRunSeries, globalStep, runSeriesFromEvents, upsertPoint } from '../../../src-renderer/src/support/runSeries';
import { batch, epoch, evaluation, fullRun, progress } from '../composables/runEvents.fixture';

describe('runSeries', () => {
  it('puts batch losses on the global step and epochs on their number', () => {
    const series = runSeriesFromEvents(fullRun());
    expect(series.batchLoss).toEqual([
      { x: 1, y: 1.1 },
      { x: 2, y: 0.9 },
      { x: 3, y: 0.8 },
      { x: 4, y: 0.6 },
      { x: 5, y: 0.5 },
      { x: 6, y: 0.45 },
    ]);
    expect(series.trainLoss).toEqual([{ x: 1, y: 0.85 }, { x: 2, y: 0.5 }]);
    expect(series.evalLoss).toEqual([{ x: 1, y: 0.7 }, { x: 2, y: 0.55 }]);
    expect(series.trainAccuracy.map((p) => p.y)).toEqual([1 - 0.85 / 2, 0.75]);
    expect(series.evalAccuracy.map((p) => p.y)).toEqual([0.65, 1 - 0.55 / 2]);
    expect(series).toMatchObject({ batchesPerEpoch: 3, epochs: 2, bestEpoch: 2 });
  });

  it('computes the global step across epochs', () => {
    expect(globalStep(1, 1, 50)).toBe(1);
    expect(globalStep(3, 7, 50)).toBe(107);
  });

  it('leaves epochs without an evaluation out of the eval series', () => {
    const series = runSeriesFromEvents([epoch(1, 0.9, null, false), epoch(2, 0.7, 0.6, true)]);
    expect(series.trainLoss).toHaveLength(2);
    expect(series.evalLoss).toEqual([{ x: 2, y: 0.6 }]);
    expect(series.evalAccuracy).toEqual([{ x: 2, y: 0.7 }]);
  });

  it('replaces a repeated event instead of duplicating it, and keeps x order', () => {
    const series = emptyRunSeries();
    for (const event of [batch(1, 1, 1), batch(1, 3, 0.8), batch(1, 2, 0.9), batch(1, 3, 0.7), epoch(1, 0.8, 0.7, true), epoch(1, 0.8, 0.7, true)]) {
      appendToRunSeries(series, event);
    }
    expect(series.batchLoss).toEqual([{ x: 1, y: 1 }, { x: 2, y: 0.9 }, { x: 3, y: 0.7 }]);
    expect(series.trainLoss).toHaveLength(1);
  });

  it('says which events change it', () => {
    const series = emptyRunSeries();
    expect(appendToRunSeries(series, progress('training', 1, 6, 3))).toBe(false);
    expect(appendToRunSeries(series, evaluation(1, 0.7))).toBe(false);
    expect(appendToRunSeries(series, batch(1, 1, 1))).toBe(true);
    expect(appendToRunSeries(series, epoch(1, 1, 1, false))).toBe(true);
  });

  it('upserts into the middle', () => {
    const points = [{ x: 1, y: 1 }, { x: 5, y: 5 }];
    upsertPoint(points, { x: 3, y: 3 });
    upsertPoint(points, { x: 0, y: 0 });
    expect(points.map((p) => p.x)).toEqual([0, 1, 3, 5]);
  });
});
