import { describe, expect, it } from 'vitest';
import { configDiff, configEntries, formatConfigValue } from '../../../src-renderer/src/support/configDiff';

describe('configDiff', () => {
  it('lists only the keys whose values differ, in the first config’s order, then the second’s extra keys', () => {
    const first = { depth: 18, lr: 0.001, mean: [0.5, 0.5, 0.5], augment: true, testDir: '/data/test' };
    const second = { depth: 50, lr: 0.001, mean: [0.5, 0.5, 0.5], augment: false, patience: 3 };
    expect(configDiff(first, second)).toEqual([
      { key: 'depth', first: '18', second: '50' },
      { key: 'augment', first: 'true', second: 'false' },
      { key: 'testDir', first: '/data/test', second: '—' },
      { key: 'patience', first: '—', second: '3' },
    ]);
    expect(configDiff(first, { ...first })).toEqual([]);
  });

  it('writes values as people read them', () => {
    expect(formatConfigValue([0.229, 0.224, 0.225])).toBe('0.229, 0.224, 0.225');
    expect(formatConfigValue(undefined)).toBe('—');
    expect(formatConfigValue(null)).toBe('—');
    expect(formatConfigValue({ a: 1 })).toBe('{"a":1}');
    expect(configEntries({ epochs: 10, optimizer: 'adam' })).toEqual([
      ['epochs', '10'],
      ['optimizer', 'adam'],
    ]);
  });
});
