/**
 * Parity with torchvision: every depth, formula weights loaded through the torchvision weight map,
 * against logits PyTorch computed (test/fixtures/reference/resnet_logits.json, written by
 * test/reference/make_resnet_reference.py and checked current by `npm run test:reference`).
 */
import { readFileSync } from 'node:fs';
import * as tf from '../../../src-main/node/engine/tf';
import { describe, expect, it } from 'vitest';
import { RESNET_DEPTHS, featureChannels, torchvisionStateDictLayout, type ResNetDepth } from '../../../src-main/common/resnetSpec';
import { initBackend, type BackendName } from '../../../src-main/node/engine/backend';
import { buildResNet, buildResNetBackbone, buildResNetHead, describeResNetModel } from '../../../src-main/node/engine/resnet';
import type { StateDict } from '../../../src-main/node/weights/stateDict';
import { extractStateDict, loadStateDictIntoModel } from '../../../src-main/node/weights/torchvisionWeights';
import { formulaHash, formulaImages, formulaPixels, formulaStateDict } from '../../support/formulaWeights';
import { relativeError } from '../../support/numerics';

interface Reference {
  torch: string;
  torchvision: string;
  numClasses: number;
  imageCount: number;
  imageSize: number;
  formula: {
    hashStream7: number[];
    resnet18Conv1Weight: number[];
    resnet18Bn1RunningVar: number[];
    resnet18FcWeight: number[];
    pixels: number[];
  };
  logits: Record<string, number[][]>;
}

const reference = JSON.parse(readFileSync(new URL('../../fixtures/reference/resnet_logits.json', import.meta.url), 'utf8')) as Reference;
const { numClasses, imageCount, imageSize } = reference;

/** torchvision's published parameter counts (1000 classes). */
const TORCHVISION_PARAMETERS: Record<ResNetDepth, number> = {
  18: 11689512,
  34: 21797672,
  50: 25557032,
  101: 44549160,
  152: 60192808,
};

async function useBackend(name: BackendName): Promise<void> {
  await initBackend({ candidates: [name] });
  // RESNET_WORKBENCH_BACKEND would override the request; the test must know what it ran on.
  expect(tf.getBackend()).toBe(name);
}

function predict(model: tf.LayersModel, images: Float32Array): number[][] {
  return tf.tidy(() => (model.predict(tf.tensor4d(images, [imageCount, imageSize, imageSize, 3])) as tf.Tensor2D).arraySync());
}

function expectSameStateDict(actual: StateDict, expected: StateDict): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [key, want] of expected) {
    const got = actual.get(key);
    expect(got?.dtype, key).toBe(want.dtype);
    expect(got?.shape, key).toEqual(want.shape);
    // Exact: the round trip only moves values, it never computes with them.
    expect(Buffer.from((got?.data as Float32Array).buffer).equals(Buffer.from(want.data.buffer)), key).toBe(true);
  }
}

describe('formula weights', () => {
  it('match the Python twin value for value (samples PyTorch wrote into the fixture)', () => {
    expect([0, 1, 2, 3].map((i) => formulaHash(7, i))).toEqual(reference.formula.hashStream7);
    const dict = formulaStateDict(18, numClasses);
    expect([...(dict.get('conv1.weight')?.data as Float32Array).slice(0, 4)]).toEqual(reference.formula.resnet18Conv1Weight);
    expect([...(dict.get('bn1.running_var')?.data as Float32Array).slice(0, 4)]).toEqual(reference.formula.resnet18Bn1RunningVar);
    expect([...(dict.get('fc.weight')?.data as Float32Array).slice(0, 4)]).toEqual(reference.formula.resnet18FcWeight);
    expect([...formulaPixels(imageCount, imageSize).slice(0, 8)]).toEqual(reference.formula.pixels);
  });
});

const images = formulaImages(imageCount, imageSize);

function checkParity(depth: ResNetDepth, options: { roundTrip: boolean }): void {
  const expected = reference.logits[String(depth)] as number[][];
  const dict = formulaStateDict(depth, numClasses);
  const before = tf.memory().numTensors;
  const model = buildResNet(depth, numClasses);
  try {
    loadStateDictIntoModel(model, dict);
    const error = relativeError(predict(model, images), expected);
    expect(error, `ResNet-${depth} on ${tf.getBackend()}: max |logit error| / max |logit|`).toBeLessThan(1e-4);
    if (options.roundTrip) {
      // Layers with weights are named exactly like torchvision's modules.
      const modules = new Set(torchvisionStateDictLayout(depth, numClasses).map((e) => e.key.slice(0, e.key.lastIndexOf('.'))));
      expect(new Set(model.layers.filter((l) => l.weights.length > 0).map((l) => l.name))).toEqual(modules);
      expectSameStateDict(extractStateDict(model, depth), dict);
    }
  } finally {
    model.dispose();
  }
  expect(tf.memory().numTensors, 'tensors left after build + load + predict + dispose').toBe(before);
}

describe('ResNet parity with torchvision on the cpu backend', () => {
  for (const depth of RESNET_DEPTHS) {
    it(`ResNet-${depth}: logits, layer names and state-dict round trip`, async () => {
      await useBackend('cpu');
      checkParity(depth, { roundTrip: true });
    });
  }
});

describe('ResNet parity with torchvision on the wasm backend', () => {
  for (const depth of [18, 50] as const) {
    it(`ResNet-${depth}: logits`, async () => {
      await useBackend('wasm');
      checkParity(depth, { roundTrip: false });
    });
  }
});

describe('ResNet structure', () => {
  it("has torchvision's parameter count for every depth with 1000 classes", async () => {
    await useBackend('cpu');
    for (const depth of RESNET_DEPTHS) {
      const model = buildResNet(depth, 1000);
      try {
        const count = model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
        expect(count, `ResNet-${depth}`).toBe(TORCHVISION_PARAMETERS[depth]);
        expect(describeResNetModel(model)).toEqual({ depth, numClasses: 1000 });
      } finally {
        model.dispose();
      }
    }
  });

  it('backbone + head reproduce the full model, and each loads its part of a checkpoint', async () => {
    await useBackend('cpu');
    const depth = 18;
    const dict = formulaStateDict(depth, numClasses);
    const before = tf.memory().numTensors;
    const backbone = buildResNetBackbone(depth, { inputSize: imageSize });
    const head = buildResNetHead(featureChannels(depth), numClasses);
    try {
      loadStateDictIntoModel(backbone, dict);
      loadStateDictIntoModel(head, dict);
      expect(backbone.outputs[0]?.shape).toEqual([null, featureChannels(depth)]);
      expect(describeResNetModel(backbone)).toEqual({ depth, numClasses: null });
      const logits = tf.tidy(() => {
        const features = backbone.predict(tf.tensor4d(images, [imageCount, imageSize, imageSize, 3])) as tf.Tensor2D;
        return (head.predict(features) as tf.Tensor2D).arraySync();
      });
      expect(relativeError(logits, reference.logits['18'] as number[][])).toBeLessThan(1e-4);
      // Together the two parts export exactly the full state dict.
      expectSameStateDict(new Map([...extractStateDict(backbone, depth), ...extractStateDict(head, depth)]), dict);
    } finally {
      backbone.dispose();
      head.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs at any input size unless one is fixed, and rejects a bad size', async () => {
    await useBackend('cpu');
    const model = buildResNet(18, 3);
    const fixed = buildResNet(18, 3, { inputSize: 32 });
    try {
      for (const side of [32, 47]) {
        const shape = tf.tidy(() => (model.predict(tf.zeros([1, side, side, 3])) as tf.Tensor).shape);
        expect(shape).toEqual([1, 3]);
      }
      expect(model.inputs[0]?.shape).toEqual([null, null, null, 3]);
      expect(fixed.inputs[0]?.shape).toEqual([null, 32, 32, 3]);
      expect(() => buildResNet(18, 3, { inputSize: 0 })).toThrow(/input size must be a positive whole number of pixels; got 0/);
      expect(() => buildResNet(18, 0)).toThrow(/number of classes must be a positive whole number; got 0/);
    } finally {
      model.dispose();
      fixed.dispose();
    }
  });
});
