/**
 * A linear run's backbone features on disk. They are written row by row as the backbone produces them
 * and read back a batch at a time, so memory stays flat in the number of images: 100,000 images × 2
 * views × 2,048 channels (ResNet-50) is 1.6 GB of float32, which used to be held in JS arrays and
 * copied two or three times on the way to the head trainer. The files are also the resume cache.
 *
 * In the run folder, per set (`train`: every view of every train image; `eval`: validation and test):
 *   features/<set>.f32   rows of `channels` float32 values (little-endian, as Float32Array on every
 *                        platform Node runs on), in the order the loader produced them
 *   features/<set>.json  { format, channels, rows, labels, paths }: written last, atomically; a .f32
 *                        without it is an extraction that did not finish and is never read
 *
 * Reads are synchronous `pread`s of whole rows: they run in the trainer (a worker process or the CLI),
 * take microseconds per batch against the page cache, and keep the head trainer's loop plain.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../io/atomicWrite';
import type { FeatureSet } from './headTrainer';

/** A feature set with the image path of each row. */
export interface FeatureRows extends FeatureSet {
  readonly paths: readonly string[];
}

export const FEATURES_FOLDER = 'features';
const FORMAT = 'resnet-workbench/features-v1';
const FLOAT_BYTES = 4;

const indexSchema = z.object({
  format: z.literal(FORMAT),
  channels: z.number().int().positive(),
  rows: z.number().int().nonnegative(),
  labels: z.array(z.number().int().nonnegative()),
  paths: z.array(z.string()),
});

function filesOf(folder: string, set: string): { data: string; index: string } {
  const base = path.join(folder, FEATURES_FOLDER, set);
  return { data: `${base}.f32`, index: `${base}.json` };
}

/** Reads whole rows of an open .f32 file; `rowMap` maps the view's rows to the file's. */
class FileRows implements FeatureRows {
  constructor(
    private readonly file: OpenFeatureFile,
    readonly labels: Int32Array,
    readonly paths: readonly string[],
    private readonly rowMap: Int32Array | null,
  ) {}

  get channels(): number {
    return this.file.channels;
  }

  get rows(): number {
    return this.labels.length;
  }

  read(rows: ArrayLike<number>): Float32Array {
    const out = new Float32Array(rows.length * this.channels);
    for (let i = 0; i < rows.length; i++) this.file.readRow(this.fileRow(rows[i] as number), out, i);
    return out;
  }

  readRange(start: number, end: number): Float32Array {
    if (this.rowMap === null) return this.file.readContiguous(start, end);
    const rows = Array.from({ length: end - start }, (_, i) => start + i);
    return this.read(rows);
  }

  private fileRow(row: number): number {
    if (row < 0 || row >= this.rows) throw new RangeError(`feature row ${row} is outside 0..${this.rows - 1}`);
    return this.rowMap === null ? row : (this.rowMap[row] as number);
  }
}

/** An open features file: its descriptor and what its index says. */
class OpenFeatureFile {
  private fd: number | null;

  constructor(
    fd: number,
    readonly channels: number,
    readonly rows: number,
  ) {
    this.fd = fd;
  }

  private descriptor(): number {
    if (this.fd === null) throw new Error('The features file is closed.');
    return this.fd;
  }

  readRow(row: number, into: Float32Array, at: number): void {
    const bytes = this.channels * FLOAT_BYTES;
    const target = new Uint8Array(into.buffer, into.byteOffset + at * bytes, bytes);
    readFully(this.descriptor(), target, row * bytes);
  }

  readContiguous(start: number, end: number): Float32Array {
    const out = new Float32Array((end - start) * this.channels);
    readFully(this.descriptor(), new Uint8Array(out.buffer), start * this.channels * FLOAT_BYTES);
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const read = readSync(fd, target, done, target.length - done, position + done);
    if (read === 0) throw new Error('The features file ended early: it was changed while the run read it.');
    done += read;
  }
}

/** A finished features file, open for reading. Close it when the run is done with it. */
export interface FeatureFile extends FeatureRows {
  /** A view of some rows (in the given order), sharing this file. */
  subset(rows: readonly number[]): FeatureRows;
  close(): void;
}

function featureFile(open: OpenFeatureFile, labels: Int32Array, paths: readonly string[]): FeatureFile {
  const all = new FileRows(open, labels, paths, null);
  return Object.assign(all, {
    subset(rows: readonly number[]): FeatureRows {
      const map = Int32Array.from(rows);
      return new FileRows(
        open,
        Int32Array.from(rows, (r) => labels[r] as number),
        rows.map((r) => paths[r] as string),
        map,
      );
    },
    close: () => open.close(),
  });
}

/**
 * Opens a finished features file; undefined when there is none, it did not finish, or its index and
 * data disagree (then the features are computed again).
 */
export async function openFeatureFile(folder: string, set: string): Promise<FeatureFile | undefined> {
  const files = filesOf(folder, set);
  const text = await readFile(files.index, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let index: z.infer<typeof indexSchema>;
  try {
    index = indexSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (index.labels.length !== index.rows || index.paths.length !== index.rows) return undefined;
  let fd: number;
  try {
    fd = openSync(files.data, 'r');
  } catch {
    return undefined;
  }
  if (fstatSync(fd).size !== index.rows * index.channels * FLOAT_BYTES) {
    closeSync(fd);
    return undefined;
  }
  return featureFile(new OpenFeatureFile(fd, index.channels, index.rows), Int32Array.from(index.labels), index.paths);
}

/** Writes one features file as batches arrive; `finish` makes it readable. */
export class FeatureFileWriter {
  private fd: number | null;
  private rows = 0;
  private readonly labels: number[] = [];
  private readonly paths: string[] = [];

  private constructor(
    private readonly folder: string,
    private readonly set: string,
    readonly channels: number,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Starts the file afresh (an unfinished or stale one is replaced). */
  static async create(folder: string, set: string, channels: number): Promise<FeatureFileWriter> {
    const files = filesOf(folder, set);
    await mkdir(path.dirname(files.data), { recursive: true });
    await rm(files.index, { force: true });
    return new FeatureFileWriter(folder, set, channels, openSync(files.data, 'w'));
  }

  /** Appends rows: `features` is [paths.length × channels]. */
  append(features: Float32Array, labels: ArrayLike<number>, paths: readonly string[]): void {
    if (this.fd === null) throw new Error('The features file is already finished.');
    if (features.length !== paths.length * this.channels || labels.length !== paths.length) {
      throw new Error(`${paths.length} rows need ${paths.length * this.channels} features and as many labels; got ${features.length} and ${labels.length}.`);
    }
    const bytes = new Uint8Array(features.buffer, features.byteOffset, features.byteLength);
    let done = 0;
    const position = this.rows * this.channels * FLOAT_BYTES;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
    this.rows += paths.length;
    for (let i = 0; i < labels.length; i++) this.labels.push(labels[i] as number);
    this.paths.push(...paths);
  }

  /** Closes the data, writes the index (atomically) and opens the file for reading. */
  async finish(): Promise<FeatureFile> {
    this.close();
    const files = filesOf(this.folder, this.set);
    const index: z.infer<typeof indexSchema> = { format: FORMAT, channels: this.channels, rows: this.rows, labels: this.labels, paths: this.paths };
    await writeFileAtomic(files.index, JSON.stringify(index));
    const opened = await openFeatureFile(this.folder, this.set);
    if (!opened) throw new Error(`The features file ${files.data} could not be read back.`);
    return opened;
  }

  /** Stops without finishing (a failed or cancelled extraction); the data stays unreadable. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Deletes a run's features (its files changed: they are computed again). */
export async function removeFeatures(folder: string): Promise<void> {
  await rm(path.join(folder, FEATURES_FOLDER), { recursive: true, force: true });
}
