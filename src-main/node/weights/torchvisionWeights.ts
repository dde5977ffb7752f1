/**
 * torchvision state dicts ↔ the tfjs ResNet of engine/resnet. Layers there carry torchvision's module
 * names, so the map is name for name; only layouts change: conv OIHW ↔ HWIO, linear [out, in] ↔
 * [in, out], BatchNorm weight/bias/running_mean/running_var ↔ gamma/beta/moving_mean/moving_variance.
 * Checkpoints are checked against torchvision's own layout first, so a wrong file fails with a message
 * that names both sides instead of a tfjs shape error.
 */
import * as tf from '../engine/tf';
import { WorkbenchError } from '../../common/errors';
import { RESNET_DEPTHS, RESNET_SPECS, torchvisionStateDictLayout, type ResNetDepth } from '../../common/resnetSpec';
import { HEAD_LAYER, describeResNetModel } from '../engine/resnet';
import { elementCount, formatShape, toFloat32, type HostTensor, type StateDict } from './stateDict';

export interface CheckpointShape {
  depth: ResNetDepth;
  /** Rows of `fc.weight`. */
  numClasses: number;
}

/** How many names a message lists before saying "and N more". */
const LISTED = 5;
const COUNTER_SUFFIX = '.num_batches_tracked';

function listSome(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(', ');
  return names.length > LISTED ? `${shown} and ${names.length - LISTED} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
}

interface StageCounts {
  blocks: [number, number, number, number];
  bottleneck: boolean;
}

const BLOCK_KEY = /^layer([1-4])\.(\d+)\./;

function stageCounts(dict: StateDict): StageCounts {
  const blocks: [number, number, number, number] = [0, 0, 0, 0];
  let bottleneck = false;
  for (const key of dict.keys()) {
    const m = BLOCK_KEY.exec(key);
    if (!m) continue;
    const stage = Number(m[1]) - 1;
    blocks[stage] = Math.max(blocks[stage] as number, Number(m[2]) + 1);
    if (/^layer\d\.\d+\.conv3\./.test(key)) bottleneck = true;
  }
  return { blocks, bottleneck };
}

function kindName(bottleneck: boolean): string {
  return bottleneck ? 'bottleneck blocks (with conv3)' : 'basic blocks (no conv3)';
}

function depthMatching(counts: StageCounts): ResNetDepth | undefined {
  return RESNET_DEPTHS.find((d) => {
    const spec = RESNET_SPECS[d];
    return (spec.block === 'bottleneck') === counts.bottleneck && spec.layers.every((n, i) => n === counts.blocks[i]);
  });
}

/** Why `found` is not `expected`, in terms of what distinguishes them. */
function difference(found: ResNetDepth, expected: ResNetDepth): [string, string] {
  const a = RESNET_SPECS[found];
  const b = RESNET_SPECS[expected];
  if (a.block !== b.block) return [kindName(a.block === 'bottleneck'), kindName(b.block === 'bottleneck')];
  const stage = a.layers.findIndex((n, i) => n !== b.layers[i]);
  return [`layer${stage + 1} has ${plural(a.layers[stage] as number, 'block')}`, `layer${stage + 1} has ${plural(b.layers[stage] as number, 'block')}`];
}

type Identified = { depth: ResNetDepth } | { problem: string; brief: string };

/** The depth a state dict's keys describe, or what was found instead (`brief` omits the list of depths). */
function identifyDepth(dict: StateDict): Identified {
  const keys = [...dict.keys()];
  const counts = stageCounts(dict);
  if (counts.blocks.every((n) => n === 0)) {
    if (keys.some((k) => k.startsWith('module.'))) {
      const problem = `its keys start with "module." (saved from a DataParallel wrapper), e.g. ${listSome(keys.slice(0, 3))}`;
      return { problem, brief: problem };
    }
    const problem = keys.length === 0 ? 'it holds no tensors' : `none of its ${plural(keys.length, 'key')} is a ResNet layer (first: ${listSome(keys.slice(0, 3))})`;
    return { problem, brief: problem };
  }
  const depth = depthMatching(counts);
  if (depth !== undefined) return { depth };
  const known = RESNET_DEPTHS.map((d) => `${d}: [${RESNET_SPECS[d].layers.join(', ')}] ${RESNET_SPECS[d].block}`).join('; ');
  const brief = `its layer1..layer4 have [${counts.blocks.join(', ')}] ${kindName(counts.bottleneck)}`;
  return { problem: `${brief}, which is no torchvision ResNet (${known})`, brief };
}

/** Depth and head size of a torchvision ResNet state dict, read from its keys and the shape of fc.weight. */
export function describeCheckpoint(dict: StateDict): CheckpointShape {
  const found = identifyDepth(dict);
  if ('problem' in found) throw new WorkbenchError('CHECKPOINT_MISMATCH', `This checkpoint is not a torchvision ResNet: ${found.problem}`);
  const fc = dict.get('fc.weight');
  if (!fc) throw new WorkbenchError('CHECKPOINT_MISMATCH', `This checkpoint is a ResNet-${found.depth} without a classifier: it has no fc.weight`);
  if (fc.shape.length !== 2) {
    throw new WorkbenchError('CHECKPOINT_MISMATCH', `This checkpoint's fc.weight has shape ${formatShape(fc.shape)}; a torchvision ResNet has [classes, features]`);
  }
  return { depth: found.depth, numClasses: fc.shape[0] as number };
}

function modelName(depth: ResNetDepth, numClasses: number | undefined): string {
  return numClasses === undefined ? `a ResNet-${depth}` : `a ResNet-${depth} with ${plural(numClasses, 'class')}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/**
 * Throw CHECKPOINT_MISMATCH unless `dict` holds exactly the parameters of torchvision's
 * `resnet{depth}(num_classes=numClasses)` with their shapes. Without `numClasses` any head size is
 * accepted (it is read from fc.weight). `num_batches_tracked` may be absent: old checkpoints lack it
 * and PyTorch accepts them.
 */
export function assertCheckpointFits(dict: StateDict, depth: ResNetDepth, numClasses?: number): void {
  const found = identifyDepth(dict);
  if ('depth' in found && found.depth !== depth) {
    const [is, shouldBe] = difference(found.depth, depth);
    throw new WorkbenchError('CHECKPOINT_MISMATCH', `This checkpoint is a ResNet-${found.depth} (${is}); the model is a ResNet-${depth} (${shouldBe})`);
  }
  const fc = dict.get('fc.weight');
  const headRows = numClasses ?? (fc?.shape.length === 2 ? (fc.shape[0] as number) : 1);
  const layout = torchvisionStateDictLayout(depth, headRows);
  const expectedKeys = new Set(layout.map((e) => e.key));
  const missing = layout.filter((e) => !dict.has(e.key) && !e.key.endsWith(COUNTER_SUFFIX)).map((e) => e.key);
  const unexpected = [...dict.keys()].filter((k) => !expectedKeys.has(k));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing ${plural(missing.length, 'key')}: ${listSome(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected ${plural(unexpected.length, 'key')}: ${listSome(unexpected)}`);
    const what = 'brief' in found ? ` (${found.brief})` : '';
    throw new WorkbenchError('CHECKPOINT_MISMATCH', `This checkpoint does not fit ${modelName(depth, numClasses)}${what}: ${parts.join('; ')}`);
  }
  const wrong = layout
    .filter((e) => !e.key.endsWith(COUNTER_SUFFIX))
    .filter((e) => !sameShape((dict.get(e.key) as HostTensor).shape, e.shape))
    .map((e) => `${e.key} has shape ${formatShape((dict.get(e.key) as HostTensor).shape)}; ${modelName(depth, numClasses)} expects ${formatShape(e.shape)}`);
  if (wrong.length > 0) {
    const more = wrong.length > LISTED ? ` (and ${wrong.length - LISTED} more wrong shapes)` : '';
    throw new WorkbenchError('CHECKPOINT_MISMATCH', wrong.slice(0, LISTED).join('; ') + more);
  }
}

// ---------------------------------------------------------------------------------------------------
// Layout conversion on the host: cheaper than round trips through a backend, and backend-independent.

function oihwToHwio(src: Float32Array, [o, i, h, w]: readonly number[]): Float32Array {
  const [O, I, H, W] = [o, i, h, w] as [number, number, number, number];
  const out = new Float32Array(src.length);
  let s = 0;
  for (let a = 0; a < O; a++) for (let b = 0; b < I; b++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[((y * W + x) * I + b) * O + a] = src[s++] as number;
  return out;
}

function hwioToOihw(src: Float32Array, [h, w, i, o]: readonly number[]): Float32Array {
  const [H, W, I, O] = [h, w, i, o] as [number, number, number, number];
  const out = new Float32Array(src.length);
  let s = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let b = 0; b < I; b++) for (let a = 0; a < O; a++) out[((a * I + b) * H + y) * W + x] = src[s++] as number;
  return out;
}

/** [rows, cols] → [cols, rows]; the same function serves both directions of the linear layer. */
function transpose2d(src: Float32Array, [rows, cols]: readonly number[]): Float32Array {
  const [R, C] = [rows, cols] as [number, number];
  const out = new Float32Array(src.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = src[r * C + c] as number;
  return out;
}

const BN_SUFFIXES = ['weight', 'bias', 'running_mean', 'running_var'] as const;

/** torchvision parameter names of a weighted layer, in the order of the layer's tfjs weights. */
function parameterNames(layer: tf.layers.Layer): string[] {
  switch (layer.getClassName()) {
    case 'Conv2D':
      return [`${layer.name}.weight`];
    case 'BatchNormalization':
      return BN_SUFFIXES.map((s) => `${layer.name}.${s}`);
    case 'Dense':
      return [`${layer.name}.weight`, `${layer.name}.bias`];
    default:
      throw new WorkbenchError('INTERNAL', `Layer ${layer.name} (${layer.getClassName()}) has weights but no torchvision counterpart`);
  }
}

/** tfjs shape → PyTorch shape of the same parameter. */
function torchShape(tfShape: readonly number[]): number[] {
  if (tfShape.length === 4) return [tfShape[3], tfShape[2], tfShape[0], tfShape[1]] as number[];
  if (tfShape.length === 2) return [tfShape[1], tfShape[0]] as number[];
  return [...tfShape];
}

function toTfjsLayout(key: string, tensor: HostTensor): Float32Array {
  const values = toFloat32(tensor);
  if (values.length !== elementCount(tensor.shape)) {
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `${key} has ${values.length} values but shape ${formatShape(tensor.shape)}`);
  }
  if (tensor.shape.length === 4) return oihwToHwio(values, tensor.shape);
  if (tensor.shape.length === 2) return transpose2d(values, tensor.shape);
  // A copy: tfjs may keep the array it is given, which could be a view pinning a whole file buffer.
  return values.slice();
}

function toTorchLayout(values: Float32Array, tfShape: readonly number[]): Float32Array {
  if (tfShape.length === 4) return hwioToOihw(values, tfShape);
  if (tfShape.length === 2) return transpose2d(values, tfShape);
  return Float32Array.from(values);
}

function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.weights.length > 0);
}

export interface LoadStateDictOptions {
  /**
   * Copy `fc` as well. Default true. False keeps the model's own head (a new head for other classes);
   * the checkpoint's head may then have any size. A model without an fc layer never loads one.
   */
  includeHead?: boolean;
}

/**
 * Copy a torchvision state dict into a model from engine/resnet (full model, backbone or head), after
 * checking it fits. Values are widened to float32, so float16, bfloat16 and float64 checkpoints load.
 */
export function loadStateDictIntoModel(model: tf.LayersModel, dict: StateDict, options: LoadStateDictOptions = {}): void {
  const shape = describeResNetModel(model);
  const loadHead = (options.includeHead ?? true) && shape.numClasses !== null;
  if (shape.depth !== null) {
    assertCheckpointFits(dict, shape.depth, loadHead ? (shape.numClasses as number) : undefined);
  }
  for (const layer of weightedLayers(model)) {
    if (layer.name === HEAD_LAYER && !loadHead) continue;
    const names = parameterNames(layer);
    const tensors = layer.weights.map((variable, i) => {
      const key = names[i] as string;
      const host = dict.get(key);
      const expected = torchShape(variable.shape as number[]);
      if (!host) throw new WorkbenchError('CHECKPOINT_MISMATCH', `This checkpoint has no ${key}; the model expects ${formatShape(expected)}`);
      if (!sameShape(host.shape, expected)) {
        throw new WorkbenchError('CHECKPOINT_MISMATCH', `${key} has shape ${formatShape(host.shape)}; the model expects ${formatShape(expected)}`);
      }
      return tf.tensor(toTfjsLayout(key, host), variable.shape as number[], 'float32');
    });
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}

/**
 * The model's weights as torchvision's `resnet{depth}` state dict: its keys, order, shapes and dtypes
 * (`num_batches_tracked` as int64 0). A backbone yields no fc entries (like `fc = Identity()`), a head
 * model only fc.weight and fc.bias.
 */
export function extractStateDict(model: tf.LayersModel, depth: ResNetDepth): StateDict {
  const shape = describeResNetModel(model);
  if (shape.depth !== null && shape.depth !== depth) {
    throw new WorkbenchError('BAD_INPUT', `The model is a ResNet-${shape.depth}, not a ResNet-${depth}`);
  }
  const values = new Map<string, { data: Float32Array; tfShape: number[] }>();
  for (const layer of weightedLayers(model)) {
    const names = parameterNames(layer);
    // getWeights returns the variables themselves: read them, never dispose them.
    layer.getWeights().forEach((w, i) => values.set(names[i] as string, { data: w.dataSync() as Float32Array, tfShape: w.shape }));
  }
  const dict: StateDict = new Map();
  for (const entry of torchvisionStateDictLayout(depth, shape.numClasses ?? 1)) {
    if (entry.key.endsWith(COUNTER_SUFFIX)) {
      const module = entry.key.slice(0, -COUNTER_SUFFIX.length);
      if (values.has(`${module}.weight`)) dict.set(entry.key, { dtype: 'int64', shape: [], data: new BigInt64Array(1) });
      continue;
    }
    const value = values.get(entry.key);
    if (!value) continue;
    dict.set(entry.key, { dtype: 'float32', shape: [...entry.shape], data: toTorchLayout(value.data, value.tfShape) });
  }
  return dict;
}
