/**
 * What MetricsChart draws: named point series, and the decimation that keeps a chart responsive
 * when a long run has sent thousands of batch points.
 */
import type { SeriesPoint } from './runSeries';

export interface MetricsDataset {
  label: string;
  points: readonly SeriesPoint[];
  /** CSS colour of the line. */
  colour: string;
  /** Dashed line (e.g. the second quantity on a shared chart). Default false. */
  dashed?: boolean;
  /** Which y axis: 'left' (default) or 'right' (the chart's second axis, see its `y2Title`). */
  axis?: 'left' | 'right';
  /** Marker shape, to tell apart series that may lie on top of each other. Default 'circle'. */
  marker?: 'circle' | 'rectRot';
}

/** Colour-blind-safe line colours (Okabe–Ito): train / first run, then eval / second run. */
export const SERIES_COLOURS = { first: '#0072b2', second: '#d55e00', third: '#009e73', fourth: '#cc79a7' } as const;

/**
 * At most about `maxPoints` points that still show the curve's extremes: the points are cut into
 * buckets and each bucket keeps its lowest and highest point (in x order), plus the first and last
 * point overall. A loss spike survives, which plain every-n-th sampling would drop. Returns the
 * input itself (not a copy) when it is already small enough.
 */
export function decimateSeries(points: readonly SeriesPoint[], maxPoints: number): readonly SeriesPoint[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 4) throw new RangeError(`maxPoints must be an integer of at least 4, got ${maxPoints}`);
  if (points.length <= maxPoints) return points;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const inner = points.length - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  const kept: SeriesPoint[] = [first];
  for (let bucket = 0; bucket < buckets; bucket += 1) {
    const start = 1 + Math.floor((bucket * inner) / buckets);
    const end = 1 + Math.floor(((bucket + 1) * inner) / buckets);
    let low = start;
    let high = start;
    for (let i = start + 1; i < end; i += 1) {
      if (points[i]!.y < points[low]!.y) low = i;
      if (points[i]!.y > points[high]!.y) high = i;
    }
    if (low === high) kept.push(points[low]!);
    else if (low < high) kept.push(points[low]!, points[high]!);
    else kept.push(points[high]!, points[low]!);
  }
  kept.push(last);
  return kept;
}
