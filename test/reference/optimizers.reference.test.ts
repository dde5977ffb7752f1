import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const fixture = new URL('../fixtures/reference/optimizers.json', import.meta.url);
const script = new URL('./make_optimizer_reference.py', import.meta.url);

describe('optimizer reference fixture', () => {
  it('is what PyTorch computes today', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'rw-opt-')), 'optimizers.json');
    try {
      execFileSync('/usr/bin/python3', [script.pathname, out], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`PyTorch reference could not run; install Debian's python3-torch python3-torchvision. ${(error as Error).message}`);
    }
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as Record<string, { loss: number; kernel: number[]; bias: number[] }[]>;
    const committed = JSON.parse(readFileSync(fixture, 'utf8')) as typeof fresh;
    for (const name of ['adam', 'sgd']) {
      fresh[name]!.forEach((step, i) => {
        const old = committed[name]![i]!;
        expect(step.loss).toBeCloseTo(old.loss, 6);
        [...step.kernel, ...step.bias].forEach((v, j) => expect(Math.abs(v - ([...old.kernel, ...old.bias][j] as number))).toBeLessThan(1e-6));
      });
    }
  });
});
