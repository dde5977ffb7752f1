/**
 * torchvision's ResNet (v1.5, `torchvision/models/resnet.py`) as a tfjs layers model, built from the
 * spec table so every depth comes from one builder.
 *
 * What makes it exact rather than merely similar:
 * - PyTorch pads symmetrically; TF's 'same' pads stride-2 convs asymmetrically. So every padded conv is
 *   an explicit zeroPadding2d followed by a 'valid' conv (tfjs-node's backprop kernels only accept
 *   VALID/SAME, so numeric padding inside the conv is not an option).
 * - The stride of a bottleneck sits on its 3x3 conv (v1.5), not on the first 1x1.
 * - BatchNorm epsilon 1e-5, momentum 0.9 (PyTorch's 0.1 counts the other way); convs have no bias.
 * - Layers that own weights carry torchvision's module names (`layer1.0.downsample.0`), so loading a
 *   state dict is a name-for-name copy and errors speak torchvision.
 *
 * Input is NHWC, normalized; the spatial size is free unless fixed by `inputSize`.
 */
import * as tf from './tf';
import { WorkbenchError } from '../../common/errors';
import { RESNET_DEPTHS, RESNET_SPECS, featureChannels, resnetBlocks, type ResNetDepth } from '../../common/resnetSpec';

export interface ResNetBuildOptions {
  /** Fixed input side in pixels, or null for any size (input shape [null, null, 3]). Default null. */
  inputSize?: number | null;
}

/** Name of the global-average-pool layer whose output is the feature vector fed to `fc`. */
export const FEATURES_LAYER = 'avgpool';
/** Name of the classifier layer (torchvision's `fc`). */
export const HEAD_LAYER = 'fc';

const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.9;

type Sym = tf.SymbolicTensor;

/** torchvision: kaiming_normal_(mode='fan_out', nonlinearity='relu') for every conv. */
function convInitializer(): ReturnType<typeof tf.initializers.varianceScaling> {
  return tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal' });
}

/** Conv with torchvision's symmetric padding: explicit zero padding, then a 'valid' conv. */
function conv(x: Sym, name: string, filters: number, kernelSize: number, stride: number, padding: number): Sym {
  const padded = padding > 0 ? (tf.layers.zeroPadding2d({ padding, name: `${name}.pad` }).apply(x) as Sym) : x;
  return tf.layers
    .conv2d({ name, filters, kernelSize, strides: stride, padding: 'valid', useBias: false, kernelInitializer: convInitializer() })
    .apply(padded) as Sym;
}

function batchNorm(x: Sym, name: string): Sym {
  return tf.layers.batchNormalization({ name, axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM }).apply(x) as Sym;
}

function relu(x: Sym, name: string): Sym {
  return tf.layers.reLU({ name }).apply(x) as Sym;
}

/** torchvision `BasicBlock`: 3x3 (stride) → BN → ReLU → 3x3 → BN, plus identity or downsample. */
function basicBlock(x: Sym, prefix: string, width: number, stride: number, downsample: boolean): Sym {
  let out = relu(batchNorm(conv(x, `${prefix}.conv1`, width, 3, stride, 1), `${prefix}.bn1`), `${prefix}.relu1`);
  out = batchNorm(conv(out, `${prefix}.conv2`, width, 3, 1, 1), `${prefix}.bn2`);
  return residual(x, out, prefix, width, stride, downsample);
}

/** torchvision `Bottleneck` (v1.5): 1x1 → 3x3 (stride) → 1x1 (x4), BN after each, ReLU between. */
function bottleneckBlock(x: Sym, prefix: string, width: number, stride: number, downsample: boolean): Sym {
  let out = relu(batchNorm(conv(x, `${prefix}.conv1`, width, 1, 1, 0), `${prefix}.bn1`), `${prefix}.relu1`);
  out = relu(batchNorm(conv(out, `${prefix}.conv2`, width, 3, stride, 1), `${prefix}.bn2`), `${prefix}.relu2`);
  out = batchNorm(conv(out, `${prefix}.conv3`, width * 4, 1, 1, 0), `${prefix}.bn3`);
  return residual(x, out, prefix, width * 4, stride, downsample);
}

function residual(x: Sym, branch: Sym, prefix: string, outChannels: number, stride: number, downsample: boolean): Sym {
  // The 1x1 downsample conv needs no padding: with stride 2 it samples the same pixels PyTorch does.
  const identity = downsample ? batchNorm(conv(x, `${prefix}.downsample.0`, outChannels, 1, stride, 0), `${prefix}.downsample.1`) : x;
  return relu(tf.layers.add({ name: `${prefix}.add` }).apply([branch, identity]) as Sym, `${prefix}.relu`);
}

/** Everything up to and including the global average pool: output [N, featureChannels(depth)]. */
function backboneGraph(depth: ResNetDepth, input: Sym): Sym {
  const spec = RESNET_SPECS[depth];
  const block = spec.block === 'basic' ? basicBlock : bottleneckBlock;
  let x = relu(batchNorm(conv(input, 'conv1', 64, 7, 2, 3), 'bn1'), 'relu');
  // Zero padding is safe before this max-pool: its input is post-ReLU, so no value is below 0.
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }).apply(x) as Sym;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(x) as Sym;
  for (const b of resnetBlocks(depth)) x = block(x, b.prefix, b.width, b.stride, b.downsample);
  return tf.layers.globalAveragePooling2d({ name: FEATURES_LAYER }).apply(x) as Sym;
}

function inputFor(options: ResNetBuildOptions): Sym {
  const side = options.inputSize ?? null;
  if (side !== null && (!Number.isInteger(side) || side < 1)) {
    throw new WorkbenchError('BAD_INPUT', `The input size must be a positive whole number of pixels; got ${side}`);
  }
  return tf.input({ shape: [side, side, 3], name: 'input' });
}

function checkNumClasses(numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new WorkbenchError('BAD_INPUT', `The number of classes must be a positive whole number; got ${numClasses}`);
  }
}

/**
 * torchvision's Linear default init: weight and bias uniform in ±1/sqrt(in_features), so a fresh
 * head trains as it would in PyTorch.
 */
function headLayer(inFeatures: number, numClasses: number): tf.layers.Layer {
  const bound = 1 / Math.sqrt(inFeatures);
  return tf.layers.dense({
    name: HEAD_LAYER,
    units: numClasses,
    kernelInitializer: tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform' }),
    biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound }),
  });
}

/** The full classifier, `torchvision.models.resnet{depth}(num_classes=numClasses)`: NHWC in, logits out. */
export function buildResNet(depth: ResNetDepth, numClasses: number, options: ResNetBuildOptions = {}): tf.LayersModel {
  checkNumClasses(numClasses);
  const input = inputFor(options);
  const features = backboneGraph(depth, input);
  const logits = headLayer(featureChannels(depth), numClasses).apply(features) as Sym;
  return tf.model({ inputs: input, outputs: logits, name: `resnet${depth}` });
}

/**
 * The network without its classifier (torchvision's model with `fc = Identity()`): NHWC in, pooled
 * features [N, featureChannels(depth)] out. For a frozen backbone whose features are computed once.
 */
export function buildResNetBackbone(depth: ResNetDepth, options: ResNetBuildOptions = {}): tf.LayersModel {
  const input = inputFor(options);
  return tf.model({ inputs: input, outputs: backboneGraph(depth, input), name: `resnet${depth}_backbone` });
}

/** The classifier alone: features [N, featureChannels] in, logits [N, numClasses] out; its layer is `fc`. */
export function buildResNetHead(inFeatures: number, numClasses: number): tf.LayersModel {
  checkNumClasses(numClasses);
  const input = tf.input({ shape: [inFeatures], name: 'features' });
  return tf.model({ inputs: input, outputs: headLayer(inFeatures, numClasses).apply(input) as Sym, name: 'resnet_head' });
}

/** What a model built here contains, read from its layers (so a model needs no side table). */
export interface ResNetModelShape {
  /** Depth of the backbone, or null for a head-only model. */
  depth: ResNetDepth | null;
  /** Outputs of `fc`, or null when the model has no head. */
  numClasses: number | null;
}

const BLOCK_CONV = /^layer([1-4])\.(\d+)\.conv1$/;

/** Read depth and head size from layer names; throws if the layers match no ResNet of the table. */
export function describeResNetModel(model: tf.LayersModel): ResNetModelShape {
  const blocks = [0, 0, 0, 0];
  let bottleneck = false;
  let numClasses: number | null = null;
  for (const layer of model.layers) {
    const m = BLOCK_CONV.exec(layer.name);
    if (m) blocks[Number(m[1]) - 1] = Math.max(blocks[Number(m[1]) - 1] as number, Number(m[2]) + 1);
    if (/^layer\d\.\d+\.conv3$/.test(layer.name)) bottleneck = true;
    if (layer.name === HEAD_LAYER) numClasses = (layer.outputShape as number[])[1] as number;
  }
  if (blocks.every((n) => n === 0)) {
    if (numClasses === null) throw new WorkbenchError('INTERNAL', `Model ${model.name} has neither ResNet stages nor an fc layer`);
    return { depth: null, numClasses };
  }
  const depth = RESNET_DEPTHS.find((d) => {
    const spec = RESNET_SPECS[d];
    return spec.layers.every((n, i) => n === blocks[i]) && (spec.block === 'bottleneck') === bottleneck;
  });
  if (depth === undefined) throw new WorkbenchError('INTERNAL', `Model ${model.name} has stages of [${blocks.join(', ')}] blocks, which is no ResNet`);
  return { depth, numClasses };
}
