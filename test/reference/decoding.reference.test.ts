/**
 * One decoding everywhere: a phone-like photo (a JPEG stored sideways with EXIF orientation 6 and an
 * embedded wide-gamut ICC profile, made with Pillow by make_rotated_p3_photo.py) gives the same
 * outputs in the workbench and in the model card's PyTorch snippet run as written. A snippet that
 * decodes with `Image.open(p).convert("RGB")` (no rotation, no colour conversion) is checked to
 * disagree, so the photo does exercise both.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/node/engine/backend';
import { classifyWithModel } from '../../src-main/node/export/loadModel';
import { exportRun } from '../../src-main/node/export/exportRun';
import { loadRunModel } from '../../src-main/node/export/loadRunModel';
import { makeTinyRun } from '../node/export/tinyRun';

const PYTHON = '/usr/bin/python3';
const makePhoto = new URL('./make_rotated_p3_photo.py', import.meta.url);

function codeBlock(markdown: string, language: string): string {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```').exec(markdown);
  if (!match) throw new Error(`no ${language} block in the model card`);
  return match[1] as string;
}

type Probabilities = Record<string, number>;

let work: string;
let photo: string;
let card: string;
let ours: Probabilities;

function runSnippet(script: string): Probabilities {
  const stdout = execFileSync(PYTHON, [script, photo], { cwd: work, encoding: 'utf8' });
  const line = JSON.parse(stdout.trim()) as { top: { label: string; probability: number }[] };
  return Object.fromEntries(line.top.map((t) => [t.label, t.probability]));
}

function largestDifference(a: Probabilities, b: Probabilities): number {
  return Math.max(...Object.keys(a).map((label) => Math.abs((a[label] as number) - (b[label] ?? Number.NaN))));
}

describe('decoding: EXIF orientation and ICC profiles, as the model card reproduces them', () => {
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-decoding-ref-'));
    photo = path.join(work, 'phone-photo.jpg');
    execFileSync(PYTHON, [makePhoto.pathname, photo], { stdio: 'pipe' });
    const run = await makeTinyRun(work);
    const exported = await exportRun({ run: run.folder, format: 'pth', out: path.join(work, 'model.pth') });
    card = await readFile(exported.card, 'utf8');
    const loaded = await loadRunModel(run.folder);
    for await (const p of classifyWithModel(loaded, [photo], { topK: 3 })) {
      if ('top' in p) ours = Object.fromEntries(p.top.map((t) => [t.label, t.probability]));
    }
  }, 600_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('the photo is stored sideways with an embedded ICC profile', () => {
    const facts = execFileSync(PYTHON, ['-c', 'import sys; from PIL import Image; i = Image.open(sys.argv[1]); print(i.size, i.getexif().get(274), len(i.info["icc_profile"]) > 0)', photo], { encoding: 'utf8' });
    expect(facts.trim()).toBe('(160, 96) 6 True');
  });

  it("the card's PyTorch snippet gives the workbench's outputs for it", async () => {
    const script = path.join(work, 'card.py');
    await writeFile(script, codeBlock(card, 'python'));
    // libvips and Pillow convert colours with Little CMS each, to their own sRGB profile: pixels may differ by one level.
    expect(largestDifference(runSnippet(script), ours)).toBeLessThan(1e-3);
  });

  it('a snippet decoding with Image.open(p).convert("RGB") alone gets other outputs', async () => {
    const naive = codeBlock(card, 'python').replace('preprocess(load_rgb(p))', 'preprocess(Image.open(p).convert("RGB"))');
    expect(naive).not.toContain('load_rgb(p))');
    const script = path.join(work, 'naive.py');
    await writeFile(script, naive);
    expect(largestDifference(runSnippet(script), ours)).toBeGreaterThan(1e-2);
  });
});
