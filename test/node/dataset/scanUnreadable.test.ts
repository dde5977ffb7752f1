/**
 * A file the user cannot read. Tests may run as root, which reads any file whatever its mode, so
 * the permission error is simulated here by making `open` fail with EACCES for one path; the
 * real chmod case runs in scanImageFolder.test.ts when the tests run as a non-root user.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scanImageFolder } from '../../../src-main/node/dataset/scanImageFolder';
import { jpegOf, makeTempDir, removeDir, snapshotTree, texture } from './imageFixtures';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>();
  return {
    ...actual,
    open: vi.fn((path: Parameters<typeof actual.open>[0], ...rest: unknown[]) => {
      if (String(path).endsWith('locked.jpg')) {
        return Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), { code: 'EACCES' }));
      }
      return (actual.open as (...args: unknown[]) => ReturnType<typeof actual.open>)(path, ...rest);
    }),
  };
});

describe('a file without read permission (EACCES simulated: tests may run as root)', () => {
  let base: string;
  beforeAll(async () => {
    base = await makeTempDir();
  });
  afterAll(async () => removeDir(base));

  it('is reported as unreadable, the other images are counted, nothing changes', async () => {
    const dir = join(base, 'a');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'locked.jpg'), await jpegOf(8, 8, texture(8, 8, 1)));
    await writeFile(join(dir, 'fine.jpg'), await jpegOf(8, 8, texture(8, 8, 2)));
    const before = await snapshotTree(base);
    const scan = await scanImageFolder(base);
    expect(vi.mocked(fsPromises.open)).toHaveBeenCalled();
    expect(scan.issues.map((i) => [i.path, i.reason])).toEqual([[join(dir, 'locked.jpg'), 'unreadable']]);
    expect(scan.issues[0]?.detail).toContain('permission denied');
    expect(scan.classes).toEqual([{ name: 'a', index: 0, images: 1, unusable: 1 }]);
    expect(await snapshotTree(base)).toEqual(before);
  });
});
