/**
 * Our preprocessing against torchvision itself, bit for bit: the same files decoded and transformed
 * by PIL + torchvision (Debian's /usr/bin/python3 with python3-torchvision) and by us. Runs under
 * `npm run test:reference`, which fails where that Python is not installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION } from '../../src-main/common/normalization';
import { decodeImage } from '../../src-main/node/dataset/decode';
import { resamplePlanInJavaScript } from '../../src-main/node/dataset/pilResize';
import { cropResizeFlip, cropResizeFlipPlan, evalPlan, loadEvalImage, resizeForEval } from '../../src-main/node/dataset/transforms';
import { jpegOf, makeTempDir, pngOf, removeDir, texture } from '../node/dataset/imageFixtures';

const PYTHON = '/usr/bin/python3';

function hasTorchvision(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes, per image and case, torchvision's uint8 HWC output (before ToTensor, so exact bytes). */
const SCRIPT = `
import json, sys
import numpy as np
from PIL import Image
import torchvision.transforms as T
import torchvision.transforms.functional as F
cases = json.loads(sys.argv[1])
for case in cases:
    img = Image.open(case["path"]).convert("RGB")
    if case["kind"] == "eval":
        out = T.CenterCrop(case["size"])(T.Resize(case["resize"])(img))
    elif case["kind"] == "square":
        out = T.Resize((case["size"], case["size"]))(img)
    else:
        top, left, h, w = case["box"]
        out = F.resized_crop(img, top, left, h, w, [case["size"], case["size"]])
        if case["flip"]:
            out = F.hflip(out)
    if case.get("normalized"):
        # ToTensor + Normalize, written HWC so it lines up with our layout.
        tensor = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(out))
        open(case["out"], "wb").write(tensor.permute(1, 2, 0).contiguous().numpy().astype("<f4").tobytes())
    else:
        open(case["out"], "wb").write(np.asarray(out).tobytes())
`;

describe('preprocessing equals torchvision on PIL images', () => {
  it('has PyTorch and torchvision to compare with', () => {
    expect(hasTorchvision(), "install Debian's python3-torch python3-torchvision").toBe(true);
  });

  let base: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    base = await makeTempDir();
    files.photo = join(base, 'photo.jpg');
    await writeFile(files.photo, await jpegOf(500, 375, texture(500, 375, 3), 85));
    files.portrait = join(base, 'portrait.png');
    await writeFile(files.portrait, await pngOf(181, 257, texture(181, 257, 4)));
    files.small = join(base, 'small.png');
    await writeFile(files.small, await pngOf(100, 90, texture(100, 90, 5)));
    files.large = join(base, 'large.jpg');
    await writeFile(files.large, await jpegOf(2400, 1500, texture(2400, 1500, 6), 90));
  });
  afterAll(async () => removeDir(base));

  it('eval (Resize + CenterCrop, and a plain square Resize), train (resized_crop + hflip): identical bytes', async () => {
    const cases = [
      { name: 'photo-eval', path: files.photo, kind: 'eval', size: 224, resize: 256, crop: 0.875 },
      { name: 'portrait-eval', path: files.portrait, kind: 'eval', size: 224, resize: 256, crop: 0.875 },
      // Upscaling, and an odd center-crop offset ((147 - 128) / 2 = 9.5 rounds to even: 10).
      { name: 'small-eval', path: files.small, kind: 'eval', size: 128, resize: 147, crop: 128 / 147 },
      { name: 'photo-square', path: files.photo, kind: 'square', size: 224, crop: 1 },
      { name: 'photo-crop', path: files.photo, kind: 'crop', size: 224, box: [40, 61, 201, 263], flip: false },
      { name: 'portrait-crop-flip', path: files.portrait, kind: 'crop', size: 224, box: [3, 7, 90, 70], flip: true },
      // A 9× reduction (ksize 19) and a crop that reaches the right and bottom edges.
      { name: 'large-eval', path: files.large, kind: 'eval', size: 160, resize: 183, crop: 160 / 183 },
      { name: 'large-crop-flip', path: files.large, kind: 'crop', size: 96, box: [1100, 1700, 400, 700], flip: true },
    ].map((c) => ({ ...c, out: join(base, `${c.name}.rgb`) }));
    execFileSync(PYTHON, ['-c', SCRIPT, JSON.stringify(cases)], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (const c of cases) {
      const image = await decodeImage(c.path as string);
      let ours;
      if (c.kind === 'crop') {
        const [top, left, height, width] = c.box as number[];
        ours = await cropResizeFlip(image, { top: top as number, left: left as number, height: height as number, width: width as number }, c.size, c.flip === true);
      } else {
        ours = await resizeForEval(image, c.size, c.crop as number);
      }
      const theirs = new Uint8Array(await readFile(c.out));
      expect([ours.width, ours.height], c.name).toEqual([c.size, c.size]);
      let differing = 0;
      for (let i = 0; i < theirs.length; i++) if (ours.data[i] !== theirs[i]) differing++;
      expect(differing, `${c.name}: bytes differing from torchvision`).toBe(0);
      expect(ours.data.length).toBe(theirs.length);
      // The JavaScript fallback (used where WebAssembly SIMD cannot run) gives the same bytes.
      const plan =
        c.kind === 'crop'
          ? cropResizeFlipPlan({ top: c.box?.[0] as number, left: c.box?.[1] as number, height: c.box?.[2] as number, width: c.box?.[3] as number }, c.size, c.flip === true)
          : evalPlan(image.width, image.height, c.size, c.crop as number);
      expect(resamplePlanInJavaScript(image, plan).data, `${c.name}: JavaScript fallback`).toEqual(ours.data);
    }
  });

  it('eval through ToTensor + Normalize: identical float32 values', async () => {
    const cases = [
      { name: 'photo-normalized', path: files.photo, kind: 'eval', size: 224, resize: 256, crop: 0.875, normalized: true },
      { name: 'large-normalized', path: files.large, kind: 'eval', size: 224, resize: 256, crop: 0.875, normalized: true },
    ].map((c) => ({ ...c, out: join(base, `${c.name}.f32`) }));
    execFileSync(PYTHON, ['-c', SCRIPT, JSON.stringify(cases)], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (const c of cases) {
      const ours = await loadEvalImage(c.path as string, { size: c.size, crop: c.crop, normalization: IMAGENET_NORMALIZATION });
      const theirs = new Float32Array(new Uint8Array(await readFile(c.out)).buffer);
      expect(ours.length, c.name).toBe(theirs.length);
      let differing = 0;
      for (let i = 0; i < theirs.length; i++) if (!Object.is(ours[i], theirs[i])) differing++;
      expect(differing, `${c.name}: values differing from torchvision`).toBe(0);
    }
  });
});
