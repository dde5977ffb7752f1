/**
 * A fine-tune step as PyTorch takes it: ResNet-18 with layer4 and fc unfrozen, BatchNorm on its
 * running statistics (model.eval()), the backbone at lr × backboneLrScale in its own parameter
 * group, two steps of SGD (momentum, weight decay) and of Adam, through the workbench's public
 * fine-tune entry point (`fineTune` with real batch loaders over PNG files). PyTorch gets the very
 * batches the loader produced (finetune_step.py) and the formula weights both sides compute.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION } from '../../src-main/common/normalization';
import { createBatchLoader, type BatchLoader, type LabeledImage } from '../../src-main/node/dataset/batchLoader';
import { initBackend } from '../../src-main/node/engine/backend';
import { buildResNet } from '../../src-main/node/engine/resnet';
import { fineTune } from '../../src-main/node/train/fineTuner';
import { fineTuneNetwork, frozenEnginePrefix, type FineTuneNetwork } from '../../src-main/node/train/splitNetwork';
import type { OptimizerConfig } from '../../src-main/node/train/optimizers';
import { extractStateDict, loadStateDictIntoModel } from '../../src-main/node/weights/torchvisionWeights';
import { formulaPixels, formulaStateDict } from '../support/formulaWeights';

const PYTHON = '/usr/bin/python3';
const script = new URL('./finetune_step.py', import.meta.url);
const SIZE = 32;
const CLASSES = 3;
const LR = 0.01;
const BACKBONE_LR_SCALE = 0.1;
/** Trained entries (layer4's convolutions and BatchNorm affines, the head) and frozen ones that must not move. */
const KEYS = [
  'layer4.0.conv1.weight',
  'layer4.0.bn1.weight',
  'layer4.0.bn1.bias',
  'layer4.0.downsample.0.weight',
  'layer4.1.conv2.weight',
  'layer4.1.bn2.weight',
  'layer4.1.bn2.bias',
  'fc.weight',
  'fc.bias',
  'layer4.1.bn2.running_var',
  'layer3.1.conv2.weight',
];

let work: string;
let samples: LabeledImage[];

const loaderOf = (): BatchLoader =>
  createBatchLoader(samples, { batchSize: 2, transform: { kind: 'eval', options: { size: SIZE, crop: 1, normalization: IMAGENET_NORMALIZATION } }, shuffle: false });

/** NHWC → NCHW, as PyTorch takes images. */
function toNchw(nhwc: Float32Array, count: number): Float32Array {
  const out = new Float32Array(nhwc.length);
  for (let n = 0; n < count; n++)
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        for (let c = 0; c < 3; c++) out[((n * 3 + c) * SIZE + y) * SIZE + x] = nhwc[((n * SIZE + y) * SIZE + x) * 3 + c] as number;
  return out;
}

async function compareWithTorch(optimizer: OptimizerConfig): Promise<void> {
  const folder = path.join(work, optimizer.name);
  await mkdir(folder, { recursive: true });
  // The batches exactly as the loader gives them to fineTune.
  const batches: { file: string; shape: number[]; labels: number[] }[] = [];
  for await (const batch of loaderOf().epoch(0)) {
    const file = `batch-${batch.index}.f32`;
    const nchw = toNchw(batch.images, batch.count);
    await writeFile(path.join(folder, file), Buffer.from(nchw.buffer, nchw.byteOffset, nchw.byteLength));
    batches.push({ file, shape: [batch.count, 3, SIZE, SIZE], labels: [...batch.labels] });
  }
  expect(batches).toHaveLength(2);
  await writeFile(
    path.join(folder, 'input.json'),
    JSON.stringify({ classes: CLASSES, lr: LR, backboneLrScale: BACKBONE_LR_SCALE, optimizer: optimizer.name, momentum: optimizer.momentum ?? 0, weightDecay: optimizer.weightDecay ?? 0, batches, keys: KEYS }),
  );
  execFileSync(PYTHON, [script.pathname, folder], { stdio: 'pipe' });

  const initial = formulaStateDict(18, CLASSES);
  const model = buildResNet(18, CLASSES);
  let network: FineTuneNetwork | undefined;
  try {
    loadStateDictIntoModel(model, initial, { includeHead: true });
    const losses: number[] = [];
    // The engine's default network: the frozen prefix split off (ONNX Runtime where it loads), layer4 and the head in tfjs.
    network = await fineTuneNetwork(model, 18, 'layer4', { prefix: frozenEnginePrefix(initial, 18, SIZE) });
    await fineTune(network, loaderOf(), loaderOf(), {
      numClasses: CLASSES,
      epochs: 1,
      lr: LR,
      backboneLrScale: BACKBONE_LR_SCALE,
      schedule: 'constant',
      optimizer,
      unfreeze: 'layer4',
      onBatch: (e) => losses.push(e.loss),
    });
    const torchLosses = (JSON.parse(await readFile(path.join(folder, 'losses.json'), 'utf8')) as { losses: number[] }).losses;
    losses.forEach((loss, i) => expect(Math.abs(loss - (torchLosses[i] as number)) / Math.abs(torchLosses[i] as number)).toBeLessThan(1e-4));
    const ours = extractStateDict(model, 18);
    for (const key of KEYS) {
      const bytes = await readFile(path.join(folder, `${key}.f32`));
      const torch = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const mine = ours.get(key)!.data as Float32Array;
      const start = initial.get(key)!.data as Float32Array;
      expect(mine.length, key).toBe(torch.length);
      let diff = 0;
      let maxDiff = 0;
      let norm = 0;
      let moved = 0;
      let movedNorm = 0;
      for (let i = 0; i < torch.length; i++) {
        const d = (mine[i] as number) - (torch[i] as number);
        const step = (torch[i] as number) - (start[i] as number);
        diff += d * d;
        maxDiff = Math.max(maxDiff, Math.abs(d));
        norm += (torch[i] as number) ** 2;
        moved = Math.max(moved, Math.abs(step));
        movedNorm += step * step;
      }
      // Parameters within 1e-4 relative (L2 norm of the difference over PyTorch's)…
      expect(Math.sqrt(diff / norm), `${key} (${optimizer.name})`).toBeLessThan(1e-4);
      // …and the steps themselves agree, so a wrong update cannot hide under the weights' size: in norm,
      // and element by element (Adam's first steps are nearly sign(g), so where a gradient is near 0 its
      // float rounding shows (measured: 1.03e-2 of the largest step); 5e-2 leaves room for that, and a wrong learning rate, group or BatchNorm mode moves whole steps).
      if (moved > 0) {
        expect(Math.sqrt(diff / movedNorm), `${key} update (${optimizer.name})`).toBeLessThan(1e-3);
        expect(maxDiff / moved, `${key} largest update error (${optimizer.name})`).toBeLessThan(5e-2);
      }
      const frozen = key.startsWith('layer3') || key.includes('running_');
      expect(moved === 0, `${key} frozen`).toBe(frozen);
    }
  } finally {
    await network?.dispose();
    model.dispose();
  }
}

describe('a fine-tune step matches PyTorch', () => {
  beforeAll(async () => {
    // Convolution gradients: the cpu backend has them everywhere.
    await initBackend({ candidates: ['cpu'] });
    work = await mkdtemp(path.join(tmpdir(), 'rw-finetune-ref-'));
    const pixels = formulaPixels(4, SIZE);
    const labels = [0, 1, 2, 0];
    samples = [];
    for (let n = 0; n < 4; n++) {
      const file = path.join(work, 'images', `c${labels[n]}`, `${n}.png`);
      await mkdir(path.dirname(file), { recursive: true });
      const perImage = SIZE * SIZE * 3;
      await writeFile(file, await sharp(Buffer.from(pixels.subarray(n * perImage, (n + 1) * perImage)), { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer());
      samples.push({ path: file, label: labels[n] as number });
    }
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('SGD with momentum and weight decay: two steps', async () => {
    await compareWithTorch({ name: 'sgd', momentum: 0.9, weightDecay: 1e-3 });
  });

  it('Adam with weight decay: two steps', async () => {
    await compareWithTorch({ name: 'adam', weightDecay: 1e-3 });
  });
});
