/**
 * The chart series of a run, shaped from its events: batch loss against the global step and the
 * per-epoch train/eval loss and accuracy. Points are `{ x, y }` as chart.js takes them.
 *
 * Incremental: `appendToRunSeries` adds one event in place (no copying of the history at ~8 batch
 * events a second), so a caller keeps one series in a shallowRef and triggers it after a change.
 * Each point has one identity (global step for batches, epoch number for epochs): an event seen
 * twice replaces its earlier point instead of adding a duplicate, so replayed history is harmless.
 */
import type { RunEvent } from '../../../src-main/common/runEvents';

export interface SeriesPoint {
  x: number;
  y: number;
}

export interface RunSeries {
  /** x = global step: (epoch − 1) × batches per epoch + batch. */
  batchLoss: SeriesPoint[];
  /** x = epoch (1-based) for the four below. */
  trainLoss: SeriesPoint[];
  trainAccuracy: SeriesPoint[];
  /** Epochs without an evaluation (evalLoss null) have no point here. */
  evalLoss: SeriesPoint[];
  evalAccuracy: SeriesPoint[];
  /** Batches per epoch as the last batch event said; null before any. */
  batchesPerEpoch: number | null;
  /** Planned epochs as the last epoch event said; null before any. */
  epochs: number | null;
  /** The latest epoch flagged best; null before any. */
  bestEpoch: number | null;
}

export function emptyRunSeries(): RunSeries {
  return { batchLoss: [], trainLoss: [], trainAccuracy: [], evalLoss: [], evalAccuracy: [], batchesPerEpoch: null, epochs: null, bestEpoch: null };
}

/** The global step of a batch, counting from 1 across epochs. */
export function globalStep(epoch: number, batch: number, batchesPerEpoch: number): number {
  return (epoch - 1) * batchesPerEpoch + batch;
}

/**
 * Puts a point in x order; a point with the same x is replaced. Events arrive in order almost
 * always, so the common case is one comparison and a push.
 */
export function upsertPoint(points: SeriesPoint[], point: SeriesPoint): void {
  let index = points.length;
  while (index > 0 && points[index - 1]!.x > point.x) index -= 1;
  if (index > 0 && points[index - 1]!.x === point.x) points[index - 1] = point;
  else points.splice(index, 0, point);
}

/**
 * Adds one event to `series` in place. Returns whether the series changed (events other than
 * run.batch and run.epoch do not touch it), so the caller knows whether to redraw.
 */
export function appendToRunSeries(series: RunSeries, event: RunEvent): boolean {
  if (event.event === 'run.batch') {
    const { epoch, batch, batches, loss } = event.payload;
    series.batchesPerEpoch = batches;
    upsertPoint(series.batchLoss, { x: globalStep(epoch, batch, batches), y: loss });
    return true;
  }
  if (event.event === 'run.epoch') {
    const p = event.payload;
    series.epochs = p.epochs;
    upsertPoint(series.trainLoss, { x: p.epoch, y: p.trainLoss });
    upsertPoint(series.trainAccuracy, { x: p.epoch, y: p.trainAccuracy });
    if (p.evalLoss !== null) upsertPoint(series.evalLoss, { x: p.epoch, y: p.evalLoss });
    if (p.evalAccuracy !== null) upsertPoint(series.evalAccuracy, { x: p.epoch, y: p.evalAccuracy });
    if (p.best) series.bestEpoch = p.epoch;
    return true;
  }
  return false;
}

/** The series of a whole event history (pure: a new series each call). */
export function runSeriesFromEvents(events: readonly RunEvent[]): RunSeries {
  const series = emptyRunSeries();
  for (const event of events) appendToRunSeries(series, event);
  return series;
}
