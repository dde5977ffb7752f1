/**
 * Checkpoint validation and the torchvision ↔ tfjs weight map. Parity of the loaded numbers with
 * PyTorch is covered in test/node/engine/resnet.test.ts; here: every way a checkpoint can be wrong,
 * and the dtypes a checkpoint may come in.
 */
import * as tf from '../../../src-main/node/engine/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { RESNET_DEPTHS, torchvisionStateDictLayout, type ResNetDepth } from '../../../src-main/common/resnetSpec';
import { initBackend } from '../../../src-main/node/engine/backend';
import { buildResNet } from '../../../src-main/node/engine/resnet';
import type { HostTensor, StateDict } from '../../../src-main/node/weights/stateDict';
import { assertCheckpointFits, describeCheckpoint, extractStateDict, loadStateDictIntoModel } from '../../../src-main/node/weights/torchvisionWeights';
import { formulaStateDict } from '../../support/formulaWeights';

/** A dict with torchvision's keys and shapes but no values: enough for everything that only validates. */
function shapesOnly(depth: ResNetDepth, numClasses: number): StateDict {
  return new Map(torchvisionStateDictLayout(depth, numClasses).map((e) => [e.key, { dtype: e.dtype, shape: e.shape, data: new Float32Array(0) }]));
}

function mismatch(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    expect((error as WorkbenchError).code).toBe('CHECKPOINT_MISMATCH');
    return (error as WorkbenchError).message;
  }
  throw new Error('expected a CHECKPOINT_MISMATCH error');
}

/** Raw bytes of a tensor: exact comparison, and fast where deep equality of large arrays is not. */
function bytes(dict: StateDict, key: string): Buffer {
  const data = dict.get(key)?.data;
  if (!data) throw new Error(`no ${key}`);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

describe('describeCheckpoint', () => {
  it('reads depth and head size from the keys of every depth', () => {
    for (const depth of RESNET_DEPTHS) {
      for (const numClasses of [10, 1000]) expect(describeCheckpoint(shapesOnly(depth, numClasses))).toEqual({ depth, numClasses });
    }
  });

  it('says what it found when the file is no ResNet', () => {
    const other: StateDict = new Map([
      ['features.0.weight', { dtype: 'float32', shape: [64, 3, 3, 3], data: new Float32Array(0) }],
      ['classifier.1.weight', { dtype: 'float32', shape: [1000, 4096], data: new Float32Array(0) }],
    ]);
    expect(mismatch(() => describeCheckpoint(other))).toBe(
      'This checkpoint is not a torchvision ResNet: none of its 2 keys is a ResNet layer (first: features.0.weight, classifier.1.weight)',
    );
    const wrapped: StateDict = new Map([...shapesOnly(18, 10)].map(([k, v]) => [`module.${k}`, v]));
    expect(mismatch(() => describeCheckpoint(wrapped))).toMatch(/keys start with "module\." \(saved from a DataParallel wrapper\)/);
    const odd = shapesOnly(18, 10);
    odd.set('layer3.2.conv1.weight', { dtype: 'float32', shape: [256, 256, 3, 3], data: new Float32Array(0) });
    expect(mismatch(() => describeCheckpoint(odd))).toMatch(/layer1\.\.layer4 have \[2, 2, 3, 2\] basic blocks \(no conv3\), which is no torchvision ResNet \(18: \[2, 2, 2, 2\] basic/);
    const headless = shapesOnly(50, 10);
    headless.delete('fc.weight');
    expect(mismatch(() => describeCheckpoint(headless))).toBe('This checkpoint is a ResNet-50 without a classifier: it has no fc.weight');
  });
});

describe('assertCheckpointFits', () => {
  it('accepts the right checkpoint, with any head unless a size is asked for', () => {
    expect(() => assertCheckpointFits(shapesOnly(34, 7), 34)).not.toThrow();
    expect(() => assertCheckpointFits(shapesOnly(34, 7), 34, 7)).not.toThrow();
  });

  it('names both depths for a checkpoint of another depth', () => {
    expect(mismatch(() => assertCheckpointFits(shapesOnly(18, 1000), 34))).toBe(
      'This checkpoint is a ResNet-18 (layer1 has 2 blocks); the model is a ResNet-34 (layer1 has 3 blocks)',
    );
    expect(mismatch(() => assertCheckpointFits(shapesOnly(50, 1000), 101))).toBe(
      'This checkpoint is a ResNet-50 (layer3 has 6 blocks); the model is a ResNet-101 (layer3 has 23 blocks)',
    );
    expect(mismatch(() => assertCheckpointFits(shapesOnly(50, 1000), 34))).toBe(
      'This checkpoint is a ResNet-50 (bottleneck blocks (with conv3)); the model is a ResNet-34 (basic blocks (no conv3))',
    );
  });

  it('names both shapes for a head of another size', () => {
    expect(mismatch(() => assertCheckpointFits(shapesOnly(18, 1000), 18, 10))).toBe(
      'fc.weight has shape [1000, 512]; a ResNet-18 with 10 classes expects [10, 512]; fc.bias has shape [1000]; a ResNet-18 with 10 classes expects [10]',
    );
  });

  it('lists missing and unexpected keys', () => {
    const missing = shapesOnly(18, 10);
    missing.delete('layer2.1.bn1.running_var');
    expect(mismatch(() => assertCheckpointFits(missing, 18))).toBe('This checkpoint does not fit a ResNet-18: missing 1 key: layer2.1.bn1.running_var');
    const extra = shapesOnly(18, 10);
    extra.set('layer1.0.conv1.bias', { dtype: 'float32', shape: [64], data: new Float32Array(0) });
    expect(mismatch(() => assertCheckpointFits(extra, 18, 10))).toBe(
      'This checkpoint does not fit a ResNet-18 with 10 classes: unexpected 1 key: layer1.0.conv1.bias',
    );
    const many = shapesOnly(18, 10);
    for (const key of [...many.keys()].filter((k) => k.startsWith('layer4.1.'))) many.delete(key);
    many.set('extra', { dtype: 'float32', shape: [1], data: new Float32Array(0) });
    expect(mismatch(() => assertCheckpointFits(many, 18))).toBe(
      'This checkpoint does not fit a ResNet-18 (its layer1..layer4 have [2, 2, 2, 1] basic blocks (no conv3)): missing 10 keys: layer4.1.conv1.weight, layer4.1.bn1.weight, layer4.1.bn1.bias, ' +
        'layer4.1.bn1.running_mean, layer4.1.bn1.running_var and 5 more; unexpected 1 key: extra',
    );
  });

  it('names the key and both shapes for a wrong shape', () => {
    const wrong = shapesOnly(18, 10);
    wrong.set('layer1.0.conv1.weight', { dtype: 'float32', shape: [64, 64, 3, 1], data: new Float32Array(0) });
    expect(mismatch(() => assertCheckpointFits(wrong, 18))).toBe('layer1.0.conv1.weight has shape [64, 64, 3, 1]; a ResNet-18 expects [64, 64, 3, 3]');
  });

  it('accepts old checkpoints without num_batches_tracked, as PyTorch does', () => {
    const old = shapesOnly(101, 1000);
    for (const key of [...old.keys()].filter((k) => k.endsWith('num_batches_tracked'))) old.delete(key);
    expect(() => assertCheckpointFits(old, 101, 1000)).not.toThrow();
  });
});

describe('loadStateDictIntoModel and extractStateDict', () => {
  const depth = 18;
  const formula10 = formulaStateDict(depth, 10);
  let model: tf.LayersModel;

  beforeAll(async () => {
    await initBackend({ candidates: ['cpu'] });
    model = buildResNet(depth, 10, { inputSize: 32 });
    return () => model.dispose();
  });

  it('refuses a bad checkpoint before changing anything, with the same clear errors', () => {
    loadStateDictIntoModel(model, formula10);
    const tensors = tf.memory().numTensors;
    const other34 = formulaStateDict(34, 10);
    expect(mismatch(() => loadStateDictIntoModel(model, other34))).toBe('This checkpoint is a ResNet-34 (layer1 has 3 blocks); the model is a ResNet-18 (layer1 has 2 blocks)');
    const head1000 = formulaStateDict(depth, 1000);
    expect(mismatch(() => loadStateDictIntoModel(model, head1000))).toMatch(/^fc\.weight has shape \[1000, 512\]; a ResNet-18 with 10 classes expects \[10, 512\]/);
    expect(mismatch(() => loadStateDictIntoModel(model, head1000, { includeHead: true }))).toMatch(/^fc\.weight has shape \[1000, 512\]/);
    const missing = new Map(formula10);
    missing.delete('bn1.bias');
    expect(mismatch(() => loadStateDictIntoModel(model, missing))).toBe('This checkpoint does not fit a ResNet-18 with 10 classes: missing 1 key: bn1.bias');
    expect(tf.memory().numTensors).toBe(tensors);
    expectSame(extractStateDict(model, depth), formula10);
  });

  it('with includeHead false loads the backbone of a checkpoint with another head and keeps its own head', () => {
    loadStateDictIntoModel(model, formula10);
    const head1000 = formulaStateDict(depth, 1000);
    // Another backbone: scale every float of the checkpoint so a copy is visible.
    const scaled: StateDict = new Map(
      [...head1000].map(([k, t]): [string, HostTensor] => [k, t.dtype === 'float32' ? { ...t, data: (t.data as Float32Array).map((v) => v * 2) } : t]),
    );
    loadStateDictIntoModel(model, scaled, { includeHead: false });
    const out = extractStateDict(model, depth);
    for (const key of ['layer3.1.conv2.weight', 'bn1.running_var']) expect(bytes(out, key).equals(bytes(scaled, key)), key).toBe(true);
    for (const key of ['fc.weight', 'fc.bias']) expect(bytes(out, key).equals(bytes(formula10, key)), key).toBe(true);
  });

  it('loads float64 and bfloat16 checkpoints and ignores num_batches_tracked values', () => {
    const float64: StateDict = new Map(
      [...formula10].map(([k, t]): [string, HostTensor] =>
        t.dtype === 'float32' ? [k, { dtype: 'float64', shape: t.shape, data: Float64Array.from(t.data as Float32Array) }] : [k, { ...t, data: BigInt64Array.of(12345n) }],
      ),
    );
    loadStateDictIntoModel(model, float64);
    expectSame(extractStateDict(model, depth), formula10);

    // bfloat16 is the top half of a float32: the expected values are the float32s with the low half cleared.
    const bfloat16: StateDict = new Map();
    const truncated: StateDict = new Map();
    for (const [k, t] of formula10) {
      if (t.dtype !== 'float32') {
        bfloat16.set(k, t);
        truncated.set(k, t);
        continue;
      }
      const bits = new Uint32Array((t.data as Float32Array).slice().buffer);
      bfloat16.set(k, { dtype: 'bfloat16', shape: t.shape, data: Uint16Array.from(bits, (b) => b >>> 16) });
      truncated.set(k, { ...t, data: new Float32Array(Uint32Array.from(bits, (b) => b & 0xffff0000).buffer) });
    }
    loadStateDictIntoModel(model, bfloat16);
    expectSame(extractStateDict(model, depth), truncated);
  });

  it('extractStateDict writes int64 counters and refuses another depth', () => {
    const out = extractStateDict(model, depth);
    expect(out.get('bn1.num_batches_tracked')).toEqual({ dtype: 'int64', shape: [], data: BigInt64Array.of(0n) });
    expect(() => extractStateDict(model, 50)).toThrow('The model is a ResNet-18, not a ResNet-50');
  });
});

function expectSame(actual: StateDict, expected: StateDict): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [key, want] of expected) {
    const got = actual.get(key);
    expect(got?.shape, key).toEqual(want.shape);
    if (want.dtype === 'float32') expect(bytes(actual, key).equals(bytes(expected, key)), key).toBe(true);
  }
}
