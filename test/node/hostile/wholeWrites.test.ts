/**
 * Writes are whole or absent: several files commit together, a killed writer's temp files are
 * cleaned at start-up (a running writer's are not), and a torn metrics.jsonl line is dropped before a
 * resumed run appends to it.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeFilesAtomic } from '../../../src-main/node/io/atomicWrite';
import { appendRunEvent, readRunEvents } from '../../../src-main/node/train/runFolder';
import { Workbench } from '../../../src-main/node/service/workbench';
import type { RunEvent } from '../../../src-main/common/runEvents';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rw-whole-writes-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('writeFilesAtomic', () => {
  it('writes every file or none, and leaves no temp file when one fails', async () => {
    const folder = path.join(root, 'commit');
    await mkdir(folder);
    await writeFilesAtomic([
      [path.join(folder, 'model.pth.md'), 'card'],
      [path.join(folder, 'model.pth'), new Uint8Array([1, 2, 3])],
    ]);
    expect(await readFile(path.join(folder, 'model.pth.md'), 'utf8')).toBe('card');
    expect([...(await readFile(path.join(folder, 'model.pth')))]).toEqual([1, 2, 3]);
    // The second target's folder does not exist: nothing is renamed, the first file keeps its content.
    await expect(
      writeFilesAtomic([
        [path.join(folder, 'model.pth.md'), 'new card'],
        [path.join(folder, 'missing', 'model.pth'), 'x'],
      ]),
    ).rejects.toMatchObject({ code: 'IO' });
    expect(await readFile(path.join(folder, 'model.pth.md'), 'utf8')).toBe('card');
    expect((await readdir(folder)).sort()).toEqual(['model.pth', 'model.pth.md']);
  });
});

describe('stale temp files', () => {
  it("removes a dead writer's temp files and keeps a live writer's", async () => {
    const folder = path.join(root, 'temps');
    await mkdir(folder);
    const dead = `.model.safetensors.${deadPid()}.0123456789ab.tmp`;
    const live = `.model.safetensors.${process.ppid}.0123456789ab.tmp`;
    for (const name of [dead, live, 'model.safetensors', '.hidden-but-not-ours']) await writeFile(path.join(folder, name), 'x');
    expect(await removeStaleTempFiles(folder)).toEqual([path.join(folder, dead)]);
    expect((await readdir(folder)).sort()).toEqual(['.hidden-but-not-ours', live, 'model.safetensors'].sort());
  });

  it('removes the temp folder of an export written whole (a tfjs model folder)', async () => {
    const folder = path.join(root, 'temp-folders');
    const temp = path.join(folder, `.my-model.${deadPid()}.0123456789ab.tmp`);
    await mkdir(temp, { recursive: true });
    await writeFile(path.join(temp, 'model.json'), '{');
    expect(await removeStaleTempFiles(folder)).toEqual([temp]);
    expect(await readdir(folder)).toEqual([]);
  });

  it('the service cleans its weights and run folders at start-up', async () => {
    const weights = path.join(root, 'svc-weights');
    const run = path.join(root, 'svc-runs', 'run-1');
    await mkdir(weights, { recursive: true });
    await mkdir(run, { recursive: true });
    const stale = [path.join(weights, `.resnet18.pth.${deadPid()}.aaaaaaaaaaaa.tmp`), path.join(run, `.last.safetensors.${deadPid()}.bbbbbbbbbbbb.tmp`)];
    for (const file of stale) await writeFile(file, 'partial');
    const workbench = new Workbench({ runsRoot: path.join(root, 'svc-runs'), weights: { folder: weights } });
    expect((await workbench.removeStaleTempFiles()).sort()).toEqual(stale.sort());
  });
});

describe('metrics.jsonl after an interrupted write', () => {
  it('drops the torn last line before appending, so the next event is whole', async () => {
    const folder = path.join(root, 'torn-run');
    await mkdir(folder);
    await writeFile(path.join(folder, 'metrics.jsonl'), '{"event":"run.epoch","epoch":1}\n{"event":"run.epo');
    const event = { event: 'run.log', payload: { runId: 'r', level: 'info', message: 'resumed' } } as unknown as RunEvent;
    await appendRunEvent(folder, event);
    const text = await readFile(path.join(folder, 'metrics.jsonl'), 'utf8');
    expect(text.split('\n')).toEqual(['{"event":"run.epoch","epoch":1}', '{"event":"run.log","runId":"r","level":"info","message":"resumed"}', '']);
    expect(await readRunEvents(folder)).toHaveLength(2);
  });
});
