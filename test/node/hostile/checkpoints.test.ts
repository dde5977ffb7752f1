/**
 * Hostile checkpoints: each file is read in a child process the way the engine's worker reads one,
 * and must be refused with a clear error, within 5 s, without the process's peak RSS passing 300 MB.
 * Before the bounded reader, these files allocated gigabytes (stride 0, a zip bomb), took minutes
 * (a 1 MB integer), overflowed the stack (a 500 000-item APPENDS) or never returned (/dev/zero, a FIFO).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hugeAppendsCheckpoint,
  hugeIntegerCheckpoint,
  overlappingCheckpoint,
  setAmplificationCheckpoint,
  strideZeroCheckpoint,
  zipBombCheckpoint,
  zipBombResNetHead,
} from './hostileCheckpoints';

const PROBE = fileURLToPath(new URL('./checkpointProbe.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CASE_LIMIT_MS = 5_000;
const PEAK_RSS_LIMIT_MB = 300;

interface ProbeLine {
  file: string;
  ok: boolean;
  code?: string;
  message?: string;
  ms: number;
  peakRssMb: number;
}

/** Runs the probe on `files` in a fresh Node process; ends it if the whole batch takes too long. */
function probe(files: readonly string[]): Promise<ProbeLine[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, PROBE, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProbeLine);
      if (code !== 0) reject(new Error(`probe ended with ${signal ?? code} after ${lines.length} of ${files.length} files: ${err.slice(-2000)}`));
      else resolve(lines);
    });
  });
}

let folder: string;
const files: Record<string, string> = {};
let results: Map<string, ProbeLine>;

const CASES: Record<string, () => Uint8Array> = {
  'stride-zero.pth': strideZeroCheckpoint,
  'overlapping.pth': overlappingCheckpoint,
  'zip-bomb.pth': zipBombCheckpoint,
  'zip-bomb-resnet-head.pth': zipBombResNetHead,
  'long4-1mb.pth': () => hugeIntegerCheckpoint(),
  'appends-500k.pth': () => hugeAppendsCheckpoint(),
  'set-amplification.pth': () => setAmplificationCheckpoint(),
};

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'rw-hostile-'));
  for (const [name, make] of Object.entries(CASES)) {
    files[name] = path.join(folder, name);
    await writeFile(files[name], make());
  }
  files['fifo.pth'] = path.join(folder, 'fifo.pth');
  execFileSync('mkfifo', [files['fifo.pth']]);
  files['link-to-dev-zero.pth'] = path.join(folder, 'link-to-dev-zero.pth');
  await symlink('/dev/zero', files['link-to-dev-zero.pth']);
  files['/dev/zero'] = '/dev/zero';
  files['/dev/urandom'] = '/dev/urandom';
  const lines = await probe(Object.values(files));
  results = new Map(lines.map((line) => [line.file, line]));
}, 90_000);

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function outcome(name: string): ProbeLine {
  const line = results.get(files[name] as string);
  if (!line) throw new Error(`no probe result for ${name}`);
  return line;
}

describe.skipIf(process.platform === 'win32')('hostile checkpoints are refused fast, in bounded memory', () => {
  it.each([
    ['stride-zero.pth', 'CHECKPOINT_CORRUPT', /more elements than its storage of 1 values/],
    ['overlapping.pth', 'CHECKPOINT_CORRUPT', /overlapping elements/],
    ['zip-bomb.pth', 'CHECKPOINT_CORRUPT', /tensors hold more than 1073741824 bytes/],
    ['zip-bomb-resnet-head.pth', 'CHECKPOINT_CORRUPT', /would inflate to more than \d+ bytes .*zip bomb/],
    ['long4-1mb.pth', 'CHECKPOINT_CORRUPT', /integer of 1048576 bytes .* longer than the 64 bytes/],
    ['appends-500k.pth', 'BAD_INPUT', /holds a list, not a state dict/],
    ['set-amplification.pth', 'CHECKPOINT_CORRUPT', /builds more than 5000000 values/],
    ['fifo.pth', 'BAD_INPUT', /is a named pipe \(FIFO\); only regular files are read/],
    ['link-to-dev-zero.pth', 'BAD_INPUT', /is a device; only regular files are read/],
    ['/dev/zero', 'BAD_INPUT', /is a device; only regular files are read/],
    ['/dev/urandom', 'BAD_INPUT', /is a device; only regular files are read/],
  ])('%s: %s', (name, code, message) => {
    const line = outcome(name);
    expect(line).toMatchObject({ ok: false, code });
    expect(line.message).toMatch(message);
    expect(line.ms).toBeLessThan(CASE_LIMIT_MS);
  });

  it(`keeps the probe's peak RSS under ${PEAK_RSS_LIMIT_MB} MB over every case`, () => {
    const peak = Math.max(...[...results.values()].map((l) => l.peakRssMb));
    expect(peak).toBeLessThan(PEAK_RSS_LIMIT_MB);
  });
});
