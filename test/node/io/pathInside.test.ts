import { describe, expect, it } from 'vitest';
import { isInside } from '../../../src-main/node/io/pathInside';

describe('isInside', () => {
  it('does not take a sibling with the same prefix, or a ..name child for outside', () => {
    expect(isInside('/a/data', '/a/data')).toBe(true);
    expect(isInside('/a/data', '/a/data/x')).toBe(true);
    expect(isInside('/a/data', '/a/data/..x')).toBe(true);
    expect(isInside('/a/data', '/a/data2')).toBe(false);
    expect(isInside('/a/data', '/a')).toBe(false);
    expect(isInside('/a/data', '/a/data/../secret')).toBe(false);
  });
});
