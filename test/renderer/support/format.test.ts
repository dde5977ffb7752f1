import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatEta, formatPercent, UNKNOWN } from '../../../src-renderer/src/support/format';

describe('format', () => {
  it('formats durations coarser as they grow', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(59.6)).toBe('1 min 00 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3600)).toBe('1 h 00 min');
    expect(formatDuration(7620)).toBe('2 h 07 min');
    for (const bad of [null, undefined, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatDuration(bad)).toBe(UNKNOWN);
  });

  it('formats an ETA, or says it is being estimated', () => {
    expect(formatEta(185)).toBe('about 3 min 05 s left');
    expect(formatEta(null)).toBe('estimating…');
  });

  it('formats fractions as percentages', () => {
    expect(formatPercent(0.9342)).toBe('93.4%');
    expect(formatPercent(1, 0)).toBe('100%');
    expect(formatPercent(0.12345, 2)).toBe('12.35%');
    expect(formatPercent(null)).toBe(UNKNOWN);
  });

  it('formats file sizes in SI units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.0 kB');
    expect(formatBytes(46_827_520)).toBe('46.8 MB');
    expect(formatBytes(102_530_000)).toBe('103 MB');
    expect(formatBytes(999_700)).toBe('1.0 MB');
    expect(formatBytes(-5)).toBe(UNKNOWN);
  });
});
