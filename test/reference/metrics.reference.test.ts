import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const fixture = new URL('../fixtures/reference/metrics.json', import.meta.url);
const script = new URL('./make_metrics_reference.py', import.meta.url);

describe('scikit-learn metrics fixture', () => {
  it('is what scikit-learn computes today', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'rw-metrics-')), 'metrics.json');
    try {
      execFileSync('/usr/bin/python3', [script.pathname, out], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`scikit-learn reference could not run; install Debian's python3-sklearn. ${(error as Error).message}`);
    }
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as unknown;
    const committed = JSON.parse(readFileSync(fixture, 'utf8')) as unknown;
    // Same inputs, same outputs: float noise between scikit-learn versions would show as a diff here.
    expect(fresh).toEqual(committed);
  });
});
