import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImagenetClasses } from '../../src-main/node/imagenetClasses';

describe('loadImagenetClasses', () => {
  it('loads the 1000 class names in class-index order, once', async () => {
    const classes = await loadImagenetClasses();
    expect(classes).toHaveLength(1000);
    expect(new Set(classes).size).toBe(1000);
    // Spot checks at well-known indices of torchvision's _IMAGENET_CATEGORIES.
    expect(classes[0]).toBe('tench');
    expect(classes[1]).toBe('goldfish');
    expect(classes[207]).toBe('golden retriever');
    expect(classes[281]).toBe('tabby');
    expect(classes[999]).toBe('toilet tissue');
    expect(await loadImagenetClasses()).toBe(classes);
  });

  it('rejects a file that does not hold 1000 names', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'rw-classes-'));
    try {
      const file = path.join(folder, 'classes.json');
      await writeFile(file, JSON.stringify(['a', 'b']));
      await expect(loadImagenetClasses(file)).rejects.toThrow(/1000 class names; found an array of 2 entries/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
