/**
 * `models.export` through the service: into the exports folder by name, never inside a run's image
 * folders (nothing written), an existing file kept unless replacing is asked for, and what the host
 * is told of each export (browser mode's downloads).
 */
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench, type ExportWritten } from '../../../src-main/node/service/workbench';
import type { RunReport } from '../../../src-main/node/train/trainer';
import { makeTinyRun } from '../export/tinyRun';

let work: string;
let run: RunReport;
let exportsFolder: string;
const told: ExportWritten[] = [];
let workbench: Workbench;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'rw-export-call-'));
  run = await makeTinyRun(work, { epochs: 1 });
  exportsFolder = path.join(work, 'app', 'exports');
  workbench = new Workbench({
    runsRoot: path.join(work, 'runs'),
    exportsFolder,
    onExported: (written) => {
      told.push(written);
      return [{ kind: 'model', url: `/download/${'a'.repeat(32)}`, fileName: path.basename(written.path) }];
    },
  });
}, 120_000);

afterAll(async () => {
  await workbench?.close();
  await rm(work, { recursive: true, force: true });
});

describe('models.export', () => {
  it('writes into the exports folder under the name given, and returns what the host offers for download', async () => {
    const reply = await workbench.dispatch('models.export', { runId: run.runId, format: 'onnx', name: 'resnet18-colours-2026-12-02' });
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
    if (!reply.ok) return;
    expect(reply.value.path).toBe(path.join(exportsFolder, 'resnet18-colours-2026-12-02.onnx'));
    expect(reply.value.card).toBe(path.join(exportsFolder, 'resnet18-colours-2026-12-02.onnx.md'));
    expect((await stat(reply.value.path)).size).toBeGreaterThan(1_000_000);
    expect(reply.value.downloads).toEqual([{ kind: 'model', url: `/download/${'a'.repeat(32)}`, fileName: 'resnet18-colours-2026-12-02.onnx' }]);
    expect(told).toEqual([{ format: 'onnx', path: reply.value.path, card: reply.value.card }]);
  }, 120_000);

  it('keeps an existing export unless replacing is asked for, and says so without naming any control', async () => {
    const again = await workbench.dispatch('models.export', { runId: run.runId, format: 'onnx', name: 'resnet18-colours-2026-12-02' });
    expect(again).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', message: `'${path.join(exportsFolder, 'resnet18-colours-2026-12-02.onnx')}' already exists.` } });
    const replaced = await workbench.dispatch('models.export', { runId: run.runId, format: 'onnx', name: 'resnet18-colours-2026-12-02', force: true });
    expect(replaced.ok).toBe(true);
  }, 120_000);

  it('refuses a destination inside the run’s train or test folder, writing nothing', async () => {
    for (const out of [path.join(work, 'train', 'model.onnx'), path.join(work, 'train', 'red', 'model.onnx'), path.join(work, 'test', 'model-tfjs')]) {
      const before = await readdir(path.dirname(out));
      const format = out.endsWith('-tfjs') ? 'tfjs' : 'onnx';
      const reply = await workbench.dispatch('models.export', { runId: run.runId, format, out });
      expect(reply.ok, out).toBe(false);
      if (reply.ok) continue;
      expect(reply.error.code).toBe('BAD_INPUT');
      expect(reply.error.message).toMatch(/^'.*' is inside .*, the folder of the (training|test) images of run .* would be read as an image \(or a new class\) the next time .* Choose a folder outside it, such as /);
      expect(reply.error.message).not.toMatch(/--|force|BAD_INPUT/);
      expect(await readdir(path.dirname(out))).toEqual(before);
    }
  }, 120_000);

  it('refuses another run’s image folders too, and a link that leads into one', async () => {
    const other = path.join(work, 'other');
    await mkdir(other);
    const otherRun = await makeTinyRun(other, { epochs: 1 });
    // That run was made in its own runs folder; a copy under this service's makes it one the service knows.
    await cp(otherRun.folder, path.join(work, 'runs', otherRun.runId), { recursive: true });
    const reply = await workbench.dispatch('models.export', { runId: run.runId, format: 'onnx', out: path.join(other, 'train', 'x.onnx') });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining(`the training images of run ${otherRun.runId}`) } });
    await symlink(path.join(work, 'train'), path.join(work, 'link-to-train'));
    const viaLink = await workbench.dispatch('models.export', { runId: run.runId, format: 'onnx', out: path.join(work, 'link-to-train', 'x.onnx') });
    expect(viaLink).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  }, 120_000);

  it('asks for a name or a path, and refuses names that are paths', async () => {
    expect(await workbench.dispatch('models.export', { runId: run.runId, format: 'onnx' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('Give the export a file name') } });
    expect(await workbench.dispatch('models.export', { runId: run.runId, format: 'onnx', name: '../outside' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });
});

describe('files.mkdir (the folder browser’s New folder)', () => {
  it('makes an empty folder, says when the name is taken, and never makes one inside a run’s image folders', async () => {
    const made = await workbench.dispatch('files.mkdir', { parent: work, name: 'models' });
    expect(made).toEqual({ ok: true, value: { path: path.join(work, 'models') } });
    expect((await stat(path.join(work, 'models'))).isDirectory()).toBe(true);
    expect(await workbench.dispatch('files.mkdir', { parent: work, name: 'models' })).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', message: expect.stringContaining("already something named 'models'") } });
    const classesBefore = await readdir(path.join(work, 'train'));
    expect(await workbench.dispatch('files.mkdir', { parent: path.join(work, 'train'), name: 'exports' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringContaining('training images') } });
    expect(await readdir(path.join(work, 'train'))).toEqual(classesBefore);
    expect(await workbench.dispatch('files.mkdir', { parent: work, name: '../escape' })).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(await workbench.dispatch('files.mkdir', { parent: path.join(work, 'missing'), name: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
