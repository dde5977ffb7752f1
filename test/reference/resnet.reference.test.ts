/**
 * Checks against a live PyTorch (Debian's python3-torch and python3-torchvision at /usr/bin/python3):
 * 1. the committed fixture test/fixtures/reference/resnet_logits.json is what PyTorch computes today;
 * 2. independently of our fixtures and formula, `resnet-workbench predict` reproduces torchvision's
 *    logits for every depth from checkpoint files PyTorch wrote: zip .pth, legacy .pth, safetensors.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESNET_DEPTHS } from '../../src-main/common/resnetSpec';
import { relativeError } from '../support/numerics';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = path.join(ROOT, 'test/reference/make_resnet_reference.py');
const FIXTURE = path.join(ROOT, 'test/fixtures/reference/resnet_logits.json');
const EXEC: ExecFileOptions = { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' };

interface FixtureFile {
  formula: Record<string, number[]>;
  logits: Record<string, number[][]>;
}

interface Manifest {
  images: string[];
  depths: Record<string, { files: Record<'zip' | 'legacy' | 'safetensors', string>; logits: number[][] }>;
}

async function python(...args: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, args, EXEC);
  return String(stdout);
}

let work: string;

beforeAll(async () => {
  try {
    await python('-c', 'import torch, torchvision, numpy, PIL');
  } catch (error) {
    throw new Error(
      `${PYTHON} cannot import torch and torchvision, which npm run test:reference needs. ` +
        `Install them with: sudo apt-get install python3-torch python3-torchvision\n(${(error as Error).message.split('\n')[0]})`,
    );
  }
  work = await mkdtemp(path.join(tmpdir(), 'resnet-reference-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('committed ResNet reference logits', () => {
  it('are what PyTorch computes now (make_resnet_reference.py re-run)', async () => {
    const fresh = path.join(work, 'resnet_logits.json');
    await python(SCRIPT, fresh);
    const now = JSON.parse(await readFile(fresh, 'utf8')) as FixtureFile;
    const committed = JSON.parse(await readFile(FIXTURE, 'utf8')) as FixtureFile;
    expect(committed.formula).toEqual(now.formula);
    expect(Object.keys(committed.logits)).toEqual(RESNET_DEPTHS.map(String));
    for (const depth of RESNET_DEPTHS) {
      const error = relativeError(committed.logits[depth] as number[][], now.logits[depth] as number[][]);
      // Float32 rounding differs with the BLAS PyTorch's Linear finds (installing scipy for scikit-learn
      // switches it to OpenBLAS: 1.3e-6 on ResNet-50); a stale fixture is off by orders of magnitude more.
      expect(error, `ResNet-${depth}: committed logits are stale; re-run /usr/bin/python3 ${path.relative(ROOT, SCRIPT)}`).toBeLessThan(1e-5);
    }
  });
});

describe('resnet-workbench predict on checkpoints PyTorch wrote', () => {
  for (const depth of RESNET_DEPTHS) {
    it(`ResNet-${depth}: zip .pth, legacy .pth and safetensors give torchvision's logits`, async () => {
      // One depth at a time keeps the disk use to a few hundred MB.
      const dir = path.join(work, `resnet${depth}`);
      await python(SCRIPT, 'checkpoints', dir, String(depth));
      try {
        const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
        const entry = manifest.depths[depth];
        if (!entry) throw new Error(`manifest has no depth ${depth}`);
        for (const [format, file] of Object.entries(entry.files)) {
          const args = ['resnet-workbench', 'predict', '--depth', String(depth), '--weights', file, '--image-size', '64', '--crop', '1', '--json', ...manifest.images];
          const { stdout } = await run('npx', args, EXEC);
          const lines = String(stdout)
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as { file?: string; logits?: number[] });
          const byFile = new Map(lines.filter((l) => l.file && l.logits).map((l) => [l.file, l.logits as number[]]));
          const logits = manifest.images.map((image) => byFile.get(image) ?? []);
          const error = relativeError(logits, entry.logits);
          expect(error, `ResNet-${depth} ${format}: max |logit error| / max |logit|`).toBeLessThan(1e-4);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
