import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../support/runCliInProcess';

const run = runCliInProcess;

describe('resnet-workbench command line', () => {
  it('lists every planned command in --help and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const name of ['info', 'scan', 'train', 'predict', 'export', 'weights', 'serve', 'demo']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
  });

  it('exits 2 with a one-line reason for an unknown command or option', async () => {
    for (const args of [['bogus'], ['info', '--no-such-flag'], ['info', '--backend', 'quantum']]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^resnet-workbench: /);
    }
  });

  it('info --json prints one summary object naming the backend and what it can do', async () => {
    const r = await run('info', '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).toContain(info.backend);
    expect(typeof info.convGradients).toBe('boolean');
    expect(info.versions).toMatchObject({ tfjs: '4.22.0' });
    // Faster backends that failed are explained, never silently dropped.
    for (const skipped of info.skipped as { backend: string; reason: string }[]) expect(skipped.reason.length).toBeGreaterThan(0);
  });

  it('info --backend cpu reports convolution gradients', async () => {
    const r = await run('info', '--backend', 'cpu', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'cpu', convGradients: true });
  });
});
