/**
 * The frozen network on both engines: ONNX Runtime against the logits PyTorch computed at every depth
 * (test/fixtures/reference/resnet_logits.json), its features and stage maps against the tfjs engine,
 * and the engine chain's fallback with its reason.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RESNET_DEPTHS, featureChannels } from '../../../src-main/common/resnetSpec';
import { initBackend } from '../../../src-main/node/engine/backend';
import { openFrozenNetwork, type FrozenNetwork } from '../../../src-main/node/engine/frozenNetwork';
import { formulaImages, formulaStateDict } from '../../support/formulaWeights';
import { relativeError } from '../../support/numerics';

const reference = JSON.parse(readFileSync(new URL('../../fixtures/reference/resnet_logits.json', import.meta.url), 'utf8')) as {
  numClasses: number;
  imageCount: number;
  imageSize: number;
  logits: Record<string, number[][]>;
};
const { numClasses, imageCount, imageSize } = reference;
const images = formulaImages(imageCount, imageSize);

function rows(data: Float32Array, width: number): number[][] {
  return Array.from({ length: data.length / width }, (_, i) => Array.from(data.subarray(i * width, (i + 1) * width)));
}

async function runOnce(network: FrozenNetwork): Promise<Float32Array> {
  try {
    return await network.run(images, imageCount);
  } finally {
    await network.dispose();
  }
}

afterEach(() => {
  delete process.env.RESNET_WORKBENCH_NO_ONNXRUNTIME;
});

describe('frozen network on ONNX Runtime', () => {
  for (const depth of RESNET_DEPTHS) {
    it(`ResNet-${depth}: logits match torchvision's`, async () => {
      const network = await openFrozenNetwork(formulaStateDict(depth, numClasses), { depth, output: 'logits', imageSize }, { engine: 'onnxruntime', provider: 'cpu' });
      expect(network.used).toMatchObject({ engine: 'onnxruntime', provider: 'cpu' });
      expect(network.outputShape).toEqual([numClasses]);
      const error = relativeError(rows(await runOnce(network), numClasses), reference.logits[String(depth)] as number[][]);
      expect(error, `ResNet-${depth}: max |logit error| / max |logit|`).toBeLessThan(1e-4);
    }, 120_000);
  }

  it('computes the same pooled features as the tfjs engine, and stage maps that pool to them (NHWC)', async () => {
    await initBackend({ candidates: ['wasm', 'cpu'] });
    const dict = formulaStateDict(50, numClasses);
    const channels = featureChannels(50);
    const spec = { depth: 50, output: 'features', imageSize } as const;
    const ort = await runOnce(await openFrozenNetwork(dict, spec, { engine: 'onnxruntime', provider: 'cpu' }));
    const tfjs = await runOnce(await openFrozenNetwork(dict, spec, { engine: 'tfjs' }));
    expect(relativeError(rows(ort, channels), rows(tfjs, channels))).toBeLessThan(1e-4);

    const stage = await openFrozenNetwork(dict, { depth: 50, output: { stage: 'layer4' }, imageSize }, { engine: 'onnxruntime', provider: 'cpu', threads: 1 });
    expect(stage.used.threads).toBe(1);
    const [side, , depthChannels] = stage.outputShape as [number, number, number];
    expect(stage.outputShape).toEqual([2, 2, channels]);
    const maps = await runOnce(stage);
    const pooled = new Float32Array(imageCount * channels);
    for (let n = 0; n < imageCount; n++)
      for (let p = 0; p < side * side; p++)
        for (let c = 0; c < depthChannels; c++) pooled[n * channels + c]! += maps[(n * side * side + p) * channels + c]! / (side * side);
    expect(relativeError(rows(pooled, channels), rows(ort, channels))).toBeLessThan(1e-5);
  }, 120_000);
});

describe('engine chain', () => {
  it('falls back to tfjs with the reason when ONNX Runtime cannot load, and refuses when it was asked for by name', async () => {
    process.env.RESNET_WORKBENCH_NO_ONNXRUNTIME = '1';
    const dict = formulaStateDict(18, numClasses);
    const spec = { depth: 18, output: 'logits', imageSize } as const;
    const network = await openFrozenNetwork(dict, spec);
    expect(network.used.engine).toBe('tfjs');
    expect(network.used.skipped).toEqual([{ choice: 'onnxruntime', reason: 'turned off by RESNET_WORKBENCH_NO_ONNXRUNTIME=1' }]);
    expect(relativeError(rows(await runOnce(network), numClasses), reference.logits['18'] as number[][])).toBeLessThan(1e-4);
    await expect(openFrozenNetwork(dict, spec, { engine: 'onnxruntime' })).rejects.toMatchObject({ code: 'NOT_AVAILABLE', message: expect.stringContaining('RESNET_WORKBENCH_NO_ONNXRUNTIME') });
  }, 120_000);

  it('chooses ONNX Runtime by default where it loads', async () => {
    const network = await openFrozenNetwork(formulaStateDict(18, numClasses), { depth: 18, output: 'features', imageSize });
    await network.dispose();
    expect(network.used).toMatchObject({ engine: 'onnxruntime', version: expect.stringMatching(/^1\.\d+/) });
  }, 60_000);
});
