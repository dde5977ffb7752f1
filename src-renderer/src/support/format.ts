/** Text for numbers the screens show: durations and ETAs, percentages, file sizes. */

/** What a value that cannot be told (null, NaN, negative) is shown as. */
export const UNKNOWN = '—';

/**
 * A duration in whole units, coarser as it grows: `45 s`, `3 min 05 s`, `2 h 07 min`.
 * Rounds to the nearest second.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return UNKNOWN;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${String(total % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Time left in a run: `about 3 min 05 s left`, or `estimating…` while the engine cannot tell. */
export function formatEta(seconds: number | null | undefined): string {
  const duration = formatDuration(seconds);
  return duration === UNKNOWN ? 'estimating…' : `about ${duration} left`;
}

/** A fraction in [0, 1] as a percentage with `digits` decimals (default 1): `0.9342` → `93.4%`. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return UNKNOWN;
  return `${(fraction * 100).toFixed(digits)}%`;
}

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/**
 * A file size in decimal (SI) units as file managers on macOS and GNOME show them:
 * `999 B`, `46.8 MB`. One decimal below 100 of a unit, none above.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return UNKNOWN;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  // 999.7 kB would round to "1000 kB": step up instead.
  if (value >= 999.5 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 100 ? value.toFixed(1) : Math.round(value).toString()} ${SIZE_UNITS[unit]}`;
}
