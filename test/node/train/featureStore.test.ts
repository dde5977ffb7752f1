/**
 * The features file a linear run trains from: rows written batch by batch come back exactly, in any
 * order and through subsets; an extraction that did not finish, or files that disagree with their
 * index (a crafted or damaged run folder), are never read.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeatureFileWriter, openFeatureFile } from '../../../src-main/node/train/featureStore';

const channels = 5;
let folder: string;

/** Row r's features: r * 10 + channel, so any misplaced row shows. */
function rowValues(rows: readonly number[]): Float32Array {
  return Float32Array.from(rows.flatMap((r) => Array.from({ length: channels }, (_, c) => r * 10 + c)));
}

async function writeRows(count: number, batch: number): Promise<void> {
  const writer = await FeatureFileWriter.create(folder, 'train', channels);
  for (let start = 0; start < count; start += batch) {
    const rows = Array.from({ length: Math.min(batch, count - start) }, (_, i) => start + i);
    writer.append(rowValues(rows), rows.map((r) => r % 3), rows.map((r) => `/data/${r}.png`));
  }
  (await writer.finish()).close();
}

beforeEach(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'features-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('features file', () => {
  it('gives back every row written, in any order, by range and through a subset', async () => {
    await writeRows(103, 16);
    const file = (await openFeatureFile(folder, 'train'))!;
    expect(file.rows).toBe(103);
    expect(file.channels).toBe(channels);
    expect(Array.from(file.labels.subarray(0, 4))).toEqual([0, 1, 2, 0]);
    expect(file.paths[102]).toBe('/data/102.png');
    const order = [102, 0, 57, 57, 16, 15];
    expect(Array.from(file.read(order))).toEqual(Array.from(rowValues(order)));
    expect(Array.from(file.readRange(95, 103))).toEqual(Array.from(rowValues([95, 96, 97, 98, 99, 100, 101, 102])));

    const odd = file.subset([1, 3, 101]);
    expect(odd.rows).toBe(3);
    expect(Array.from(odd.labels)).toEqual([1, 0, 2]);
    expect(odd.paths).toEqual(['/data/1.png', '/data/3.png', '/data/101.png']);
    expect(Array.from(odd.readRange(1, 3))).toEqual(Array.from(rowValues([3, 101])));
    expect(Array.from(odd.read([2, 0]))).toEqual(Array.from(rowValues([101, 1])));
    expect(() => odd.read([3])).toThrow(RangeError);
    file.close();
  });

  it('refuses rows that do not match their features', async () => {
    const writer = await FeatureFileWriter.create(folder, 'train', channels);
    expect(() => writer.append(new Float32Array(channels * 2 - 1), [0, 1], ['/a', '/b'])).toThrow(/2 rows need 10 features/);
    writer.close();
  });

  it('never reads an extraction that did not finish', async () => {
    const writer = await FeatureFileWriter.create(folder, 'train', channels);
    writer.append(rowValues([0, 1]), [0, 1], ['/a', '/b']);
    writer.close();
    expect(await openFeatureFile(folder, 'train')).toBeUndefined();
  });

  it('never reads data that disagrees with its index, whatever the index claims', async () => {
    await writeRows(20, 8);
    const data = path.join(folder, 'features', 'train.f32');
    const index = path.join(folder, 'features', 'train.json');
    await truncate(data, 20 * channels * 4 - 4);
    expect(await openFeatureFile(folder, 'train')).toBeUndefined();

    // A crafted index: a billion rows over a tiny file is refused before anything is allocated for them.
    await writeRows(2, 2);
    await writeFile(index, JSON.stringify({ format: 'resnet-workbench/features-v1', channels: 2048, rows: 1e9, labels: [0, 1], paths: ['/a', '/b'] }));
    const before = process.memoryUsage().rss;
    expect(await openFeatureFile(folder, 'train')).toBeUndefined();
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
    await writeFile(index, '{"format":"something else"}');
    expect(await openFeatureFile(folder, 'train')).toBeUndefined();
    await writeFile(index, 'not json');
    expect(await openFeatureFile(folder, 'train')).toBeUndefined();
  });

  it('starts afresh over an earlier file', async () => {
    await writeRows(50, 10);
    await writeRows(4, 4);
    const file = (await openFeatureFile(folder, 'train'))!;
    expect(file.rows).toBe(4);
    expect(Array.from(file.readRange(0, 4))).toEqual(Array.from(rowValues([0, 1, 2, 3])));
    file.close();
  });
});
