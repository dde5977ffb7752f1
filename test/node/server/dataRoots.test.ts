import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { dataRootsPolicy, realPathOf, resolveDataRoots } from '../../../src-main/node/server/dataRoots';

let root: string;
beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), 'rw-data-roots-')));
  await mkdir(path.join(root, 'data', 'cats'), { recursive: true });
  await mkdir(path.join(root, 'secret'), { recursive: true });
  await writeFile(path.join(root, 'secret', 'key.pth'), 'x');
  await writeFile(path.join(root, 'file.txt'), 'x');
  await symlink(path.join(root, 'secret'), path.join(root, 'data', 'escape'));
  await symlink(path.join(root, 'data'), path.join(root, 'data-link'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refusal(check: Promise<void> | void): Promise<WorkbenchError> {
  try {
    await check;
  } catch (error) {
    if (error instanceof WorkbenchError) return error;
    throw error;
  }
  throw new Error('expected the path to be refused');
}

describe('resolveDataRoots', () => {
  it('resolves roots with realpath, drops duplicates, creates the runs folder and adds it to the browse roots', async () => {
    const runs = path.join(root, 'app', 'runs');
    const roots = await resolveDataRoots([path.join(root, 'data'), path.join(root, 'data-link'), path.join(root, 'data', '.')], runs);
    expect(roots.dataRoots).toEqual([path.join(root, 'data')]);
    expect(roots.runsRoot).toBe(runs);
    expect(roots.browseRoots).toEqual([path.join(root, 'data'), runs]);
  });

  it('refuses a missing root, a file, and no roots at all', async () => {
    await expect(resolveDataRoots([path.join(root, 'nope')], path.join(root, 'runs'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope') });
    await expect(resolveDataRoots([path.join(root, 'file.txt')], path.join(root, 'runs'))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('not a folder') });
    await expect(resolveDataRoots([], path.join(root, 'runs'))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('dataRootsPolicy', () => {
  it('allows paths inside a root or the runs folder, existing or not', async () => {
    const policy = dataRootsPolicy(await resolveDataRoots([path.join(root, 'data')], path.join(root, 'runs')));
    await policy(path.join(root, 'data'), 'read');
    await policy(path.join(root, 'data', 'cats'), 'read');
    await policy(path.join(root, 'data', 'cats', 'new', 'model.onnx'), 'write');
    await policy(path.join(root, 'runs', 'run-1'), 'read');
  });

  it('refuses paths outside, naming the allowed folders', async () => {
    const policy = dataRootsPolicy(await resolveDataRoots([path.join(root, 'data')], path.join(root, 'runs')));
    for (const outside of [root, path.join(root, 'secret', 'key.pth'), '/etc/passwd', path.join(root, 'data-other')]) {
      const error = await refusal(policy(outside, 'read'));
      expect(error.code).toBe('BAD_INPUT');
      expect(error.message).toContain('outside the folders this server may use');
      expect(error.message).toContain(path.join(root, 'data'));
      expect(error.message).toContain(path.join(root, 'runs'));
    }
  });

  it('lets the engine read its weights folder (imported checkpoints) but never write or browse it', async () => {
    const weights = path.join(root, 'app', 'weights');
    const roots = await resolveDataRoots([path.join(root, 'data')], path.join(root, 'runs'), [weights]);
    expect(roots.readOnlyRoots).toEqual([weights]);
    expect(roots.browseRoots).not.toContain(weights);
    const policy = dataRootsPolicy(roots);
    await policy(path.join(weights, 'imported', 'mine.pth'), 'read');
    const error = await refusal(policy(path.join(weights, 'imported', 'mine.pth'), 'write'));
    expect(error.message).toContain('outside the folders this server may use');
  });

  it('refuses a symbolic link inside a root that leads outside it, and paths through it', async () => {
    const policy = dataRootsPolicy(await resolveDataRoots([path.join(root, 'data')], path.join(root, 'runs')));
    const error = await refusal(policy(path.join(root, 'data', 'escape', 'key.pth'), 'read'));
    expect(error.message).toContain(`leads to '${path.join(root, 'secret', 'key.pth')}'`);
    await refusal(policy(path.join(root, 'data', 'escape', 'not-yet', 'out.onnx'), 'write'));
  });
});

describe('helpers', () => {
  it('realPathOf resolves the existing part of a path that does not exist yet', async () => {
    expect(await realPathOf(path.join(root, 'data-link', 'a', 'b'))).toBe(path.join(root, 'data', 'a', 'b'));
  });
});
