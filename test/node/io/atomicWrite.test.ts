import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { writeFileAtomic } from '../../../src-main/node/io/atomicWrite';
import { runNodeWithoutPermissionOverride } from '../../support/withoutPermissionOverride';

const MODULE_PATH = resolve(import.meta.dirname, '../../../src-main/node/io/atomicWrite.ts');

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'atomic-write-'));
});
afterEach(async () => {
  await chmod(folder, 0o755).catch(() => undefined);
  await rm(folder, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<WorkbenchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    return error as WorkbenchError;
  }
  throw new Error('expected the write to fail');
}

/** Write from a child that file permissions apply to (see test/support/withoutPermissionOverride.ts). */
async function writeWithoutPermissionOverride(target: string, text: string): Promise<{ code: string; message: string } | null> {
  const script = `
    import { writeFileAtomic } from ${JSON.stringify(MODULE_PATH)};
    try { await writeFileAtomic(${JSON.stringify(target)}, ${JSON.stringify(text)}); console.log('null'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
  const stdout = await runNodeWithoutPermissionOverride(script, resolve(import.meta.dirname, '../../..'));
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as { code: string; message: string } | null;
}

describe('writeFileAtomic', () => {
  it('creates a new file with the given bytes and leaves nothing else in the folder', async () => {
    const target = join(folder, 'weights.bin');
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await writeFileAtomic(target, bytes);
    expect(new Uint8Array(await readFile(target))).toEqual(bytes);
    expect(await readdir(folder)).toEqual(['weights.bin']);
  });

  it('writes strings as UTF-8', async () => {
    const target = join(folder, 'card.md');
    await writeFileAtomic(target, 'naïve — ✓\n');
    expect(await readFile(target, 'utf8')).toBe('naïve — ✓\n');
  });

  it('replaces an existing longer file whole and keeps its permissions', async () => {
    const target = join(folder, 'config.json');
    await writeFile(target, 'x'.repeat(10_000));
    await chmod(target, 0o640);
    await writeFileAtomic(target, '{"a":1}');
    expect(await readFile(target, 'utf8')).toBe('{"a":1}');
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect(await readdir(folder)).toEqual(['config.json']);
  });

  it('gives a clear IO error for a missing folder', async () => {
    const target = join(folder, 'missing', 'out.bin');
    const error = await caught(writeFileAtomic(target, 'data'));
    expect(error.code).toBe('IO');
    expect(error.message).toContain(target);
    expect(error.message).toContain('the folder does not exist');
  });

  it('gives a clear IO error for a read-only folder and leaves no temp file behind', async () => {
    const readOnly = join(folder, 'read-only');
    await mkdir(readOnly);
    await writeFile(join(readOnly, 'existing.txt'), 'old');
    await chmod(folder, 0o755);
    await chmod(readOnly, 0o555);
    const target = join(readOnly, 'existing.txt');
    let failure: { code: string; message: string } | null;
    if (process.getuid?.() === 0) {
      failure = await writeWithoutPermissionOverride(target, 'new');
    } else {
      const error = await caught(writeFileAtomic(target, 'new'));
      failure = { code: error.code, message: error.message };
    }
    expect(failure).not.toBeNull();
    expect(failure?.code).toBe('IO');
    expect(failure?.message).toContain(target);
    expect(failure?.message).toMatch(/permission denied|not permitted|read-only/);
    expect(await readdir(readOnly)).toEqual(['existing.txt']);
    expect(await readFile(target, 'utf8')).toBe('old');
  });

  it('removes its temp file when the final rename fails', async () => {
    // A non-empty folder at the target path: the temp file is written, then the rename is refused.
    const target = join(folder, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'inside.txt'), 'keep');
    const error = await caught(writeFileAtomic(target, 'data'));
    expect(error.code).toBe('IO');
    expect(error.message).toContain(target);
    expect(await readdir(folder)).toEqual(['occupied']);
    expect(await readFile(join(target, 'inside.txt'), 'utf8')).toBe('keep');
  });

  it('leaves one complete file when writes to the same path race', async () => {
    const target = join(folder, 'race.txt');
    const contents = Array.from({ length: 8 }, (_, i) => String(i).repeat(50_000));
    await Promise.all(contents.map((text) => writeFileAtomic(target, text)));
    expect(contents).toContain(await readFile(target, 'utf8'));
    expect(await readdir(folder)).toEqual(['race.txt']);
  });
});
