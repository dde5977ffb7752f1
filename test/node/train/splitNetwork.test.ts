import * as tf from '../../../src-main/node/engine/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/node/engine/backend';
import { buildResNet } from '../../../src-main/node/engine/resnet';
import { fineTuneNetwork, frozenEnginePrefix, prefixBoundary } from '../../../src-main/node/train/splitNetwork';
import { extractStateDict, loadStateDictIntoModel } from '../../../src-main/node/weights/torchvisionWeights';
import { formulaImages, formulaStateDict } from '../../support/formulaWeights';

const SIZE = 64;
const COUNT = 2;

/** Largest absolute difference over the largest magnitude. */
function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / scale;
}

function formulaModel(): tf.LayersModel {
  const model = buildResNet(18, 10);
  loadStateDictIntoModel(model, formulaStateDict(18, 10), { includeHead: true });
  return model;
}

describe('prefixBoundary', () => {
  it('ends the frozen prefix at the last block of the last frozen stage', () => {
    expect(prefixBoundary(18, 'layer4')).toEqual({ layer: 'layer3.1.relu', stages: 3 });
    expect(prefixBoundary(50, 'layer3')).toEqual({ layer: 'layer2.3.relu', stages: 2 });
    expect(prefixBoundary(101, 'layer4')).toEqual({ layer: 'layer3.22.relu', stages: 3 });
    expect(prefixBoundary(152, 'all')).toBeNull();
  });
});

describe('fineTuneNetwork', () => {
  const images = formulaImages(COUNT, SIZE);
  beforeAll(async () => {
    await initBackend({ candidates: ['wasm'] });
  });

  for (const unfreeze of ['layer4', 'layer3'] as const) {
    it(`computes the full model's logits through the prefix and the trainable stages (${unfreeze})`, async () => {
      const baseline = tf.memory().numTensors;
      const model = formulaModel();
      const network = await fineTuneNetwork(model, 18, unfreeze);
      const expected = tf.tidy(() => (model.predict(tf.tensor4d(images, [COUNT, SIZE, SIZE, 3])) as tf.Tensor).dataSync());
      const inputs = await network.inputs(images, COUNT, SIZE);
      const got = tf.tidy(() => (network.trainable.predict(inputs) as tf.Tensor).dataSync());
      inputs.dispose();
      expect(relativeDifference(got, expected)).toBeLessThan(1e-5);
      // Only the unfrozen stages and the head are in the trainable part, and they are the model's own layers.
      const names = network.trainable.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
      const stages = unfreeze === 'layer4' ? ['layer4.'] : ['layer3.', 'layer4.'];
      expect(names.every((n) => n === 'fc' || stages.some((s) => n.startsWith(s)))).toBe(true);
      expect(names).toContain('layer4.1.conv2');
      for (const name of names) expect(network.trainable.getLayer(name)).toBe(model.getLayer(name));
      expect(network.prefix?.used).toMatchObject({ engine: 'tfjs', provider: 'wasm', skipped: [] });
      // Disposing the network leaves the model whole; disposing the model frees everything.
      await network.dispose();
      const again = tf.tidy(() => (model.predict(tf.tensor4d(images, [COUNT, SIZE, SIZE, 3])) as tf.Tensor).dataSync());
      expect(Array.from(again)).toEqual(Array.from(expected));
      model.dispose();
      expect(tf.memory().numTensors).toBe(baseline);
    });
  }

  it('has no prefix when everything trains, or when the split is turned off', async () => {
    const model = formulaModel();
    for (const network of [await fineTuneNetwork(model, 18, 'all'), await fineTuneNetwork(model, 18, 'layer4', { split: false })]) {
      expect(network.prefix).toBeNull();
      expect(network.trainable).toBe(model);
      await network.dispose();
    }
    model.dispose();
  });

  it('runs the prefix on ONNX Runtime, with the tfjs prefix\'s output', async () => {
    const model = formulaModel();
    const onnx = await fineTuneNetwork(model, 18, 'layer4', { prefix: frozenEnginePrefix(extractStateDict(model, 18), 18, SIZE, { engine: 'onnxruntime', provider: 'cpu' }) });
    const tfjs = await fineTuneNetwork(model, 18, 'layer4');
    try {
      expect(onnx.prefix?.used).toMatchObject({ engine: 'onnxruntime', provider: 'cpu' });
      const a = await onnx.inputs(images, COUNT, SIZE);
      const b = await tfjs.inputs(images, COUNT, SIZE);
      expect(a.shape).toEqual([COUNT, 4, 4, 256]);
      expect(a.shape).toEqual(b.shape);
      expect(relativeDifference(a.dataSync(), b.dataSync())).toBeLessThan(1e-4);
      tf.dispose([a, b]);
      await expect(onnx.inputs(formulaImages(1, 32), 1, 32)).rejects.toThrow(/built for 64 px images, not 32 px/);
    } finally {
      await onnx.dispose();
      await tfjs.dispose();
      model.dispose();
    }
  });

  it('falls back to tfjs with the reason when ONNX Runtime cannot run the prefix, unless it was asked for by name', async () => {
    const model = formulaModel();
    // A state dict ONNX Runtime's graph cannot be written from stands in for any failure of that engine.
    const broken = extractStateDict(model, 18);
    broken.delete('layer2.0.conv1.weight');
    const network = await fineTuneNetwork(model, 18, 'layer4', { prefix: frozenEnginePrefix(broken, 18, SIZE, { provider: 'cpu' }) });
    try {
      expect(network.prefix?.used.engine).toBe('tfjs');
      expect(network.prefix?.used.skipped).toEqual([{ choice: 'onnxruntime', reason: expect.stringMatching(/layer2\.0\.conv1\.weight/) }]);
    } finally {
      await network.dispose();
    }
    await expect(fineTuneNetwork(model, 18, 'layer4', { prefix: frozenEnginePrefix(broken, 18, SIZE, { engine: 'onnxruntime', provider: 'cpu' }) })).rejects.toThrow(/layer2\.0\.conv1\.weight/);
    const asked = await fineTuneNetwork(model, 18, 'layer4', { prefix: frozenEnginePrefix(broken, 18, SIZE, { engine: 'tfjs' }) });
    expect(asked.prefix?.used).toMatchObject({ engine: 'tfjs', skipped: [] });
    await asked.dispose();
    model.dispose();
  });
});
