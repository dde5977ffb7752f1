import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSplits } from '../../../src-main/node/dataset/compareSplits';
import { compareCodePoints } from '../../../src-main/node/dataset/imageFolderListing';
import { scanImageFolder, type ImageFolderScan, type ScanProgress } from '../../../src-main/node/dataset/scanImageFolder';
import { canTestPermissions, runNodeWithoutPermissionOverride } from '../../support/withoutPermissionOverride';
import { buildFaultyDataset, jpegOf, makeTempDir, removeDir, snapshotTree, texture, type FaultyDataset } from './imageFixtures';

const isRoot = process.getuid?.() === 0;

describe('scanImageFolder on a folder with every real-world fault', () => {
  let base: string;
  let data: FaultyDataset;
  let before: Map<string, string>;
  let train: ImageFolderScan;
  let test: ImageFolderScan;
  const progress: ScanProgress[] = [];

  beforeAll(async () => {
    base = await makeTempDir();
    data = await buildFaultyDataset(base);
    before = await snapshotTree(base);
    train = await scanImageFolder(data.train, { onProgress: (p) => progress.push(p), concurrency: 3 });
    test = await scanImageFolder(data.test);
  });
  afterAll(async () => removeDir(base));

  it('finds the classes in sorted order and counts every usable image', () => {
    expect(train.classes.map((c) => [c.name, c.index, c.images])).toEqual([
      ['cat', 0, data.expectedTrainCounts.cat],
      ['dog', 1, data.expectedTrainCounts.dog],
      ['empty', 2, 0],
    ]);
    expect(train.images).toHaveLength(12);
    // Nested images belong to the class; hidden ones are skipped and counted, not used.
    const used = train.images.map((i) => relative(data.train, i.path));
    expect(used).toContain('cat/nested/deeper/deep.jpg');
    expect(used).toContain('cat/ünïcödé name 猫 with spaces.jpg');
    expect(used.some((p) => p.includes('.hidden') || p.includes('.DS_Store'))).toBe(false);
    expect(train.hiddenSkipped).toBe(2);
    expect(train.classes[0]?.unusable).toBe(7);
    expect(test.classes.map((c) => [c.name, c.images])).toEqual(Object.entries(data.expectedTestCounts));
  });

  it('names every unusable file or folder with its reason, and nothing else', () => {
    const reported = Object.fromEntries(train.issues.map((i) => [relative(data.train, i.path), i.reason]));
    expect(reported).toEqual(data.expectedTrainIssues);
    for (const issue of train.issues) expect(issue.detail.length, issue.path).toBeGreaterThan(5);
    const bomb = train.issues.find((i) => i.reason === 'too-many-pixels');
    expect(bomb?.detail).toContain('20000×20000');
  });

  it('uses a JPEG named .png by its content and warns about the extension', () => {
    expect(train.warnings.map((w) => [relative(data.train, w.path), w.reason])).toEqual([['cat/jpeg content.png', 'extension-mismatch']]);
    const image = train.images.find((i) => i.path.endsWith('jpeg content.png'));
    expect(image?.format).toBe('jpeg');
  });

  it('reports displayed sizes (EXIF orientation applied) and content hashes', () => {
    const rotated = train.images.find((i) => i.path.endsWith('rotated.jpg'));
    expect([rotated?.width, rotated?.height]).toEqual([16, 32]);
    const formats = Object.fromEntries(train.images.map((i) => [relative(data.train, i.path), i.format]));
    expect(formats['cat/grey16.png']).toBe('png');
    expect(formats['cat/cmyk.jpg']).toBe('jpeg');
    for (const image of train.images) expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('measures imbalance over the classes that have images', () => {
    expect(train.imbalance).toEqual({ largest: { name: 'cat', images: 10 }, smallest: { name: 'dog', images: 2 }, ratio: 5 });
  });

  it('compares the splits: the extra and the missing class, and the same image under another name', () => {
    const comparison = compareSplits(train, test);
    expect(comparison.trainOnly).toEqual(['empty']);
    expect(comparison.testOnly).toEqual(['bird']);
    expect(comparison.sameClasses).toBe(false);
    expect(comparison.shared).toHaveLength(1);
    expect(comparison.shared[0]?.train.map((p) => relative(data.train, p))).toEqual(['cat/good.jpg']);
    expect(comparison.shared[0]?.test.map((p) => relative(data.test, p))).toEqual(['cat/renamed copy.jpg']);
  });

  it('emits listing and per-file progress ending at the total', () => {
    const checking = progress.filter((p) => p.phase === 'checking');
    const last = checking.at(-1);
    expect(last).toMatchObject({ checked: 19, total: 19, usable: 12, unusable: 7 });
    expect(checking).toHaveLength(19);
    expect(progress.some((p) => p.phase === 'listing')).toBe(true);
  });

  it('changes nothing: every file, folder and link is byte-for-byte as before', async () => {
    expect(await snapshotTree(base)).toEqual(before);
  });
});

describe('scanImageFolder edge cases', () => {
  let base: string;
  beforeAll(async () => {
    base = await makeTempDir();
  });
  afterAll(async () => removeDir(base));

  it('sorts class names by code point like Python, not by UTF-16 unit', () => {
    // U+FF5E (one UTF-16 unit, 0xFF5E) sorts before U+1F600 (surrogates 0xD83D...) in Python.
    const names = ['\u{1F600}', '\uFF5E', 'b', 'B', 'a'];
    expect([...names].sort(compareCodePoints)).toEqual(['B', 'a', 'b', '\uFF5E', '\u{1F600}']);
  });

  it('checks the pixel limit from the header with a configurable limit', async () => {
    const root = join(base, 'limit');
    await writeFile(join(await makeClass(root, 'a'), 'big.jpg'), await jpegOf(100, 100, texture(100, 100)));
    const scan = await scanImageFolder(root, { maxPixels: 9999 });
    expect(scan.issues.map((i) => i.reason)).toEqual(['empty-class', 'too-many-pixels']);
    expect((await scanImageFolder(root, { maxPixels: 10_000 })).images).toHaveLength(1);
  });

  it('reports a root without class folders, and refuses a missing root with NOT_FOUND', async () => {
    const root = join(base, 'flat');
    await makeClass(base, 'flat');
    await writeFile(join(root, 'x.jpg'), await jpegOf(8, 8, texture(8, 8)));
    const scan = await scanImageFolder(root);
    expect(scan.issues.map((i) => [relative(root, i.path), i.reason])).toEqual([
      ['', 'no-classes'],
      ['x.jpg', 'outside-class-folder'],
    ]);
    await expect(scanImageFolder(join(base, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('header-only mode skips the pixel check (truncated data passes), full mode catches it', async () => {
    const root = join(base, 'quick');
    const jpeg = await jpegOf(64, 64, texture(64, 64));
    await writeFile(join(await makeClass(root, 'a'), 'cut.jpg'), jpeg.subarray(0, jpeg.length - 300));
    expect((await scanImageFolder(root, { verifyPixels: false })).images).toHaveLength(1);
    expect((await scanImageFolder(root)).issues.map((i) => i.reason)).toEqual(['empty-class', 'truncated']);
  });

  it.skipIf(isRoot)('reports a file without read permission as unreadable (needs a non-root user; root reads any file)', async () => {
    const root = join(base, 'perm');
    const file = join(await makeClass(root, 'a'), 'locked.jpg');
    await writeFile(file, await jpegOf(8, 8, texture(8, 8)));
    await chmod(file, 0o000);
    const scan = await scanImageFolder(root);
    expect(scan.issues.map((i) => i.reason)).toEqual(['empty-class', 'unreadable']);
    await chmod(file, 0o644);
  });

  it.runIf(isRoot && canTestPermissions)('reports a file without read permission as unreadable (as root: the scan runs without permission override)', async () => {
    const root = join(base, 'perm-locked');
    const dir = await makeClass(root, 'a');
    await writeFile(join(dir, 'locked.jpg'), await jpegOf(8, 8, texture(8, 8, 1)));
    await writeFile(join(dir, 'fine.jpg'), await jpegOf(8, 8, texture(8, 8, 2)));
    await chmod(join(dir, 'locked.jpg'), 0o000);
    const before = await snapshotTree(root);
    const module = resolve('src-main/node/dataset/scanImageFolder.ts');
    const script = `const { scanImageFolder } = await import(${JSON.stringify(module)});
      const scan = await scanImageFolder(${JSON.stringify(root)});
      process.stdout.write(JSON.stringify({ issues: scan.issues, classes: scan.classes }));`;
    const stdout = await runNodeWithoutPermissionOverride(script, process.cwd());
    const result = JSON.parse(stdout) as { issues: { path: string; reason: string; detail: string }[]; classes: unknown[] };
    expect(result.issues.map((i) => [relative(root, i.path), i.reason])).toEqual([['a/locked.jpg', 'unreadable']]);
    expect(result.issues[0]?.detail).toContain('EACCES');
    expect(result.classes).toEqual([{ name: 'a', index: 0, images: 1, unusable: 1 }]);
    expect(await snapshotTree(root)).toEqual(before);
  });
});

async function makeClass(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}
