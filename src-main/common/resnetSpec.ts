/**
 * The ResNet family as data (torchvision `resnet.py`, ResNet v1.5). One builder reads this table;
 * nothing else in the code base should branch on depth.
 */

export const RESNET_DEPTHS = [18, 34, 50, 101, 152] as const;
export type ResNetDepth = (typeof RESNET_DEPTHS)[number];

export type BlockKind = 'basic' | 'bottleneck';

export interface ResNetSpec {
  depth: ResNetDepth;
  block: BlockKind;
  /** Number of blocks in layer1..layer4. */
  layers: readonly [number, number, number, number];
  /** Output channels of a block divided by its width (1 for basic, 4 for bottleneck). */
  expansion: 1 | 4;
}

export const RESNET_SPECS: Readonly<Record<ResNetDepth, ResNetSpec>> = {
  18: { depth: 18, block: 'basic', layers: [2, 2, 2, 2], expansion: 1 },
  34: { depth: 34, block: 'basic', layers: [3, 4, 6, 3], expansion: 1 },
  50: { depth: 50, block: 'bottleneck', layers: [3, 4, 6, 3], expansion: 4 },
  101: { depth: 101, block: 'bottleneck', layers: [3, 4, 23, 3], expansion: 4 },
  152: { depth: 152, block: 'bottleneck', layers: [3, 8, 36, 3], expansion: 4 },
};

/** Widths of layer1..layer4 before expansion, as in torchvision. */
export const STAGE_WIDTHS = [64, 128, 256, 512] as const;

export function isResNetDepth(value: number): value is ResNetDepth {
  return (RESNET_DEPTHS as readonly number[]).includes(value);
}

/** Channels entering the classifier head (`fc.in_features` in torchvision). */
export function featureChannels(depth: ResNetDepth): number {
  return STAGE_WIDTHS[3] * RESNET_SPECS[depth].expansion;
}

/** One residual block of a ResNet, with everything its builders need. */
export interface ResNetBlock {
  /** torchvision's module name, e.g. `layer2.0`. */
  prefix: string;
  /** 0-based stage (layer1 is 0). */
  stage: number;
  /** 0-based index within the stage. */
  index: number;
  block: BlockKind;
  /** Width of the block's inner convolutions. */
  width: number;
  inChannels: number;
  outChannels: number;
  /** 2 for the first block of layer2..layer4 (on the 3×3 conv: ResNet v1.5), else 1. */
  stride: 1 | 2;
  /** Whether the shortcut needs a 1×1 conv + BN (`downsample`). */
  downsample: boolean;
}

/** The blocks of a ResNet in forward order: the one walk every builder (tfjs, ONNX, layouts, FLOPs) shares. */
export function resnetBlocks(depth: ResNetDepth): ResNetBlock[] {
  const spec = RESNET_SPECS[depth];
  const blocks: ResNetBlock[] = [];
  let inChannels = 64;
  spec.layers.forEach((count, stage) => {
    const width = STAGE_WIDTHS[stage] as number;
    const outChannels = width * spec.expansion;
    for (let index = 0; index < count; index++) {
      const stride = index === 0 && stage > 0 ? 2 : 1;
      const downsample = index === 0 && (stride !== 1 || inChannels !== outChannels);
      blocks.push({ prefix: `layer${stage + 1}.${index}`, stage, index, block: spec.block, width, inChannels, outChannels, stride, downsample });
      inChannels = outChannels;
    }
  });
  return blocks;
}

export interface ParameterShape {
  /** torchvision state-dict key, e.g. `layer1.0.conv1.weight`. */
  key: string;
  /** Shape in PyTorch's layout (OIHW for convs, [out, in] for linear). */
  shape: number[];
  /** Learned parameters vs. buffers (BatchNorm running statistics and counter). */
  kind: 'parameter' | 'buffer';
  dtype: 'float32' | 'int64';
}

function pushConv(out: ParameterShape[], key: string, o: number, i: number, k: number): void {
  out.push({ key: `${key}.weight`, shape: [o, i, k, k], kind: 'parameter', dtype: 'float32' });
}

function pushBatchNorm(out: ParameterShape[], key: string, c: number): void {
  out.push({ key: `${key}.weight`, shape: [c], kind: 'parameter', dtype: 'float32' });
  out.push({ key: `${key}.bias`, shape: [c], kind: 'parameter', dtype: 'float32' });
  out.push({ key: `${key}.running_mean`, shape: [c], kind: 'buffer', dtype: 'float32' });
  out.push({ key: `${key}.running_var`, shape: [c], kind: 'buffer', dtype: 'float32' });
  out.push({ key: `${key}.num_batches_tracked`, shape: [], kind: 'buffer', dtype: 'int64' });
}

/**
 * Every entry of torchvision's `resnetN(num_classes).state_dict()`, in its order. The single source
 * for checkpoint validation, weight mapping and export.
 */
export function torchvisionStateDictLayout(depth: ResNetDepth, numClasses: number): ParameterShape[] {
  const out: ParameterShape[] = [];
  pushConv(out, 'conv1', 64, 3, 7);
  pushBatchNorm(out, 'bn1', 64);
  for (const { prefix, block, width, inChannels, outChannels, downsample } of resnetBlocks(depth)) {
    if (block === 'basic') {
      pushConv(out, `${prefix}.conv1`, width, inChannels, 3);
      pushBatchNorm(out, `${prefix}.bn1`, width);
      pushConv(out, `${prefix}.conv2`, width, width, 3);
      pushBatchNorm(out, `${prefix}.bn2`, width);
    } else {
      pushConv(out, `${prefix}.conv1`, width, inChannels, 1);
      pushBatchNorm(out, `${prefix}.bn1`, width);
      pushConv(out, `${prefix}.conv2`, width, width, 3);
      pushBatchNorm(out, `${prefix}.bn2`, width);
      pushConv(out, `${prefix}.conv3`, outChannels, width, 1);
      pushBatchNorm(out, `${prefix}.bn3`, outChannels);
    }
    if (downsample) {
      pushConv(out, `${prefix}.downsample.0`, outChannels, inChannels, 1);
      pushBatchNorm(out, `${prefix}.downsample.1`, outChannels);
    }
  }
  out.push({ key: 'fc.weight', shape: [numClasses, featureChannels(depth)], kind: 'parameter', dtype: 'float32' });
  out.push({ key: 'fc.bias', shape: [numClasses], kind: 'parameter', dtype: 'float32' });
  return out;
}

/** Learned parameter count (what torchvision's docs list as "params"). */
export function parameterCount(depth: ResNetDepth, numClasses: number): number {
  return torchvisionStateDictLayout(depth, numClasses)
    .filter((p) => p.kind === 'parameter')
    .reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}
