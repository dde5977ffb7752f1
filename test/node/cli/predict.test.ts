import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../../src-main/node/weights/checkpointFile';
import { formulaPixels, formulaStateDict } from '../../support/formulaWeights';
import { runCliJson } from '../../support/runCliInProcess';

const reference = JSON.parse(readFileSync(new URL('../../fixtures/reference/resnet_logits.json', import.meta.url), 'utf8')) as {
  imageSize: number;
  imageCount: number;
  logits: Record<string, number[][]>;
};

const run = runCliJson;

let work: string;
const images: string[] = [];

describe('predict with a raw checkpoint', () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'rw-predict-'));
    const size = reference.imageSize;
    const pixels = formulaPixels(reference.imageCount, size);
    for (let n = 0; n < reference.imageCount; n++) {
      const file = path.join(work, `image ${n}.png`);
      await sharp(pixels.subarray(n * size * size * 3, (n + 1) * size * size * 3), { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
      images.push(file);
    }
    const dict = formulaStateDict(18, 10);
    await writeCheckpoint(path.join(work, 'resnet18.pth'), dict, 'pth');
    await writeCheckpoint(path.join(work, 'resnet18.safetensors'), dict, 'safetensors');
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const file of ['resnet18.pth', 'resnet18.safetensors']) {
    it(`reproduces torchvision's logits from PNG files (${file})`, async () => {
      const r = await run('predict', '--weights', path.join(work, file), '--image-size', String(reference.imageSize), '--crop', '1', '--json', ...images);
      expect(r.code, r.stderr).toBe(0);
      const perImage = r.lines.filter((l) => 'logits' in l) as { file: string; logits: number[]; probabilities: number[]; top: { index: number; label: string }[] }[];
      expect(perImage.map((l) => l.file)).toEqual(images);
      perImage.forEach((line, n) => {
        const torch = reference.logits['18']![n]!;
        const scale = Math.max(...torch.map(Math.abs));
        const error = Math.max(...line.logits.map((v, i) => Math.abs(v - (torch[i] as number))));
        expect(error / scale).toBeLessThan(1e-4);
        expect(line.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        const argmax = torch.indexOf(Math.max(...torch));
        expect(line.top[0]).toMatchObject({ index: argmax, label: String(argmax) });
      });
      expect(r.lines.at(-1)).toMatchObject({ images: 2, failed: 0, depth: 18, classes: 10 });
    });
  }

  it('reports an unreadable image and still classifies the rest (exit 1)', async () => {
    const bad = path.join(work, 'not-an-image.png');
    await writeFile(bad, 'hello');
    const r = await run('predict', '--weights', path.join(work, 'resnet18.safetensors'), '--image-size', '64', '--json', images[0]!, bad);
    expect(r.code).toBe(1);
    expect(r.lines.filter((l) => 'logits' in l)).toHaveLength(1);
    expect(r.lines.find((l) => l.file === bad)).toMatchObject({ error: { code: 'BAD_INPUT' } });
  });

  it('refuses a depth the checkpoint does not have, naming both', async () => {
    const r = await run('predict', '--weights', path.join(work, 'resnet18.safetensors'), '--depth', '34', images[0]!);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ResNet-18/);
    expect(r.stderr).toMatch(/ResNet-34/);
  });

  it('says clearly when the weights file is missing or not a checkpoint', async () => {
    const missing = await run('predict', '--weights', path.join(work, 'nope.pth'), images[0]!);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.pth/);
    const notCheckpoint = await run('predict', '--weights', images[0]!, images[0]!);
    expect(notCheckpoint.code).toBe(1);
    expect(notCheckpoint.stderr).toMatch(/not a PyTorch or safetensors checkpoint/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await run('predict', images[0]!)).code).toBe(2);
    expect((await run('predict', '--weights', 'x', '--depth', '19', images[0]!)).code).toBe(2);
    expect((await run('predict', '--weights', 'x', '--crop', '1.5', images[0]!)).code).toBe(2);
  });
});
