/**
 * The committed fine-tune reference (test/fixtures/reference/finetune_step.json, checked by
 * test/node/train/fineTuner.test.ts) is what a live PyTorch computes today.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = path.join(ROOT, 'test/reference/make_finetune_reference.py');
const FIXTURE = path.join(ROOT, 'test/fixtures/reference/finetune_step.json');

interface Reference {
  losses: number[];
  changes: Record<string, { stride: number; sampled: number[]; absSum: number }>;
}

let work: string | undefined;
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('committed fine-tune reference', () => {
  it('is what PyTorch computes now (make_finetune_reference.py re-run)', async () => {
    work = await mkdtemp(path.join(tmpdir(), 'finetune-reference-'));
    const fresh = path.join(work, 'finetune_step.json');
    await promisify(execFile)('/usr/bin/python3', [SCRIPT, fresh], { cwd: ROOT });
    const now = JSON.parse(await readFile(fresh, 'utf8')) as Reference;
    const committed = JSON.parse(await readFile(FIXTURE, 'utf8')) as Reference;
    const stale = `stale: re-run /usr/bin/python3 ${path.relative(ROOT, SCRIPT)}`;
    now.losses.forEach((loss, i) => expect(Math.abs(loss - (committed.losses[i] as number)), stale).toBeLessThan(1e-5 * Math.abs(loss)));
    expect(Object.keys(committed.changes)).toEqual(Object.keys(now.changes));
    for (const [key, change] of Object.entries(now.changes)) {
      const old = committed.changes[key]!;
      expect(old.stride, `${key} ${stale}`).toBe(change.stride);
      const scale = Math.max(...change.sampled.map(Math.abs));
      change.sampled.forEach((v, i) => expect(Math.abs(v - (old.sampled[i] as number)), `${key} ${stale}`).toBeLessThan(1e-4 * scale + 1e-12));
    }
  });
});
