import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeColourSplit } from '../../support/colourDataset';

const BIN = fileURLToPath(new URL('../../../src-main/node/cli/bin.mjs', import.meta.url));

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

/** Run the real command in a child process; `onLine` may signal it (Ctrl-C, kill). */
function cli(args: string[], onLine?: (line: Record<string, unknown>, child: ReturnType<typeof spawn>) => void): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, RESNET_WORKBENCH_DATA: work }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        onLine?.(line, child);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, lines, stderr }));
  });
}

let work: string;
const common = (): string[] => [
  '--train', path.join(work, 'train'),
  '--test', path.join(work, 'test'),
  '--weights', 'none', '--image-size', '32', '--batch-size', '8', '--lr', '0.01', '--no-augment', '--seed', '5', '--json',
];

describe('resnet-workbench train', () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'rw-train-cli-'));
    await writeColourSplit(path.join(work, 'train'), 8, 1);
    await writeColourSplit(path.join(work, 'test'), 3, 2);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('prints events as JSON lines and a final summary with the results', async () => {
    const r = await cli(['train', ...common(), '--epochs', '3', '--out', path.join(work, 'run-a')]);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.lines.at(-1)!;
    expect(summary).toMatchObject({ ok: true, bestEpoch: expect.any(Number), backend: expect.any(String), seconds: expect.any(Number), testAccuracy: expect.any(Number) });
    expect(summary.confusionMatrix).toMatchObject({ labels: ['blue', 'green', 'red'] });
    expect((summary.perClass as unknown[]).length).toBe(3);
    expect(r.lines.filter((l) => l.event === 'run.epoch')).toHaveLength(3);
    expect(existsSync(path.join(work, 'run-a', 'report.json'))).toBe(true);
  });

  it('on the defaults (augmentation, two views) ends with validation, test (scored once) and last-epoch validation accuracy', async () => {
    const r = await cli([
      'train', '--train', path.join(work, 'train'), '--test', path.join(work, 'test'),
      '--weights', 'none', '--image-size', '32', '--epochs', '2', '--seed', '5', '--json', '--out', path.join(work, 'run-defaults'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.lines.at(-1)!;
    expect(Object.keys(summary).slice(-3)).toEqual(['validationAccuracy', 'testAccuracy', 'lastEpochValidationAccuracy']);
    for (const key of ['validationAccuracy', 'testAccuracy', 'lastEpochValidationAccuracy']) expect(summary[key], key).toEqual(expect.any(Number));
    // 8 images a class, 20 % (2) held out; the test folder's 3 a class scored once.
    expect(summary.images).toEqual({ train: 18, validation: 6, test: 9 });
    const splits = r.lines.filter((l) => l.event === 'run.evaluation').map((l) => l.split);
    expect(splits).toEqual(['validation', 'validation', 'test']);
    // Three classes: top-2, never a top-k that is 100 % by construction.
    expect(summary.topK).toMatchObject({ k: 2 });
    const config = JSON.parse(await readFile(path.join(work, 'run-defaults', 'config.json'), 'utf8')) as { config: { augment: boolean; views: number; valSplit: number } };
    expect(config.config).toMatchObject({ augment: true, views: 2, valSplit: 0.2 });
  });

  it('stops cleanly on Ctrl-C, keeps the checkpoint, and --resume finishes the run', async () => {
    const folder = path.join(work, 'run-b');
    // Many short epochs, so the stop surely lands before the end however late the signal arrives.
    const stopped = await cli(['train', ...common(), '--epochs', '40', '--out', folder], (line, child) => {
      if (line.event === 'run.epoch' && line.epoch === 1) child.kill('SIGINT');
    });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/cancelled/i);
    expect(stopped.stderr).toMatch(/--resume/);
    expect(stopped.lines.find((l) => l.event === 'run.failed')).toMatchObject({ error: { code: 'CANCELLED' }, checkpoint: path.join(folder, 'last.safetensors') });
    const resumed = await cli(['train', '--resume', folder, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.lines.at(-1)).toMatchObject({ ok: true, epochsRun: 40 });
    // Only the epochs after the last checkpoint ran again (the stop lands at the next batch boundary).
    const lastSaved = Math.max(...stopped.lines.filter((l) => l.event === 'run.epoch').map((l) => l.epoch as number));
    expect(lastSaved).toBeLessThan(40);
    const rerun = resumed.lines.filter((l) => l.event === 'run.epoch').map((l) => l.epoch);
    expect(rerun).toEqual(Array.from({ length: 40 - lastSaved }, (_, i) => lastSaved + 1 + i));
  });

  it('resumes a killed run (no chance to clean up) from its last checkpoint', async () => {
    const folder = path.join(work, 'run-c');
    const killed = await cli(['train', ...common(), '--epochs', '40', '--out', folder], (line, child) => {
      if (line.event === 'run.epoch' && line.epoch === 2) setTimeout(() => child.kill('SIGKILL'), 50);
    });
    expect(killed.signal).toBe('SIGKILL');
    const config = JSON.parse(await readFile(path.join(folder, 'config.json'), 'utf8')) as { config: { epochs: number } };
    expect(config.config.epochs).toBe(40);
    const resumed = await cli(['train', '--resume', folder, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.lines.at(-1)).toMatchObject({ ok: true, epochsRun: 40 });
  });

  it('refuses bad options with exit 2 and a one-line reason', async () => {
    for (const args of [['--epochs', '0'], ['--lr', 'fast'], ['--optimizer', 'rmsprop'], ['--depth', '20']]) {
      const r = await cli(['train', '--train', path.join(work, 'train'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const missing = await cli(['train', '--lr', '0.1']);
    expect(missing.code).toBe(2);
  });

  it('fails with exit 1 and a clear message for a folder that is not a data set', async () => {
    const r = await cli(['train', '--train', path.join(work, 'nowhere'), '--weights', 'none', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nowhere/);
  });
});
