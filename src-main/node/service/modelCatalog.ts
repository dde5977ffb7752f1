/**
 * The `models.catalog` answer: each ResNet depth with its parameter count and cost, computed from
 * the spec table rather than typed in, so it cannot drift from the builder.
 */
import type { ModelInfo } from '../../common/contract';
import {
  RESNET_DEPTHS,
  RESNET_SPECS,
  STAGE_WIDTHS,
  featureChannels,
  parameterCount,
  type ResNetDepth,
} from '../../common/resnetSpec';

/** ImageNet's class count: torchvision's published figures are for this head. */
const IMAGENET_CLASSES = 1000;

/** Output side of a convolution or pooling window (PyTorch's formula, symmetric padding). */
function outputSide(input: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((input + 2 * padding - kernel) / stride) + 1;
}

/**
 * Multiply-adds of one forward pass through the convolutions and the classifier — what torchvision
 * reports as "GFLOPS" (BatchNorm, ReLU and pooling are not counted, as there).
 */
export function multiplyAdds(depth: ResNetDepth, imageSize = 224, numClasses = IMAGENET_CLASSES): number {
  const spec = RESNET_SPECS[depth];
  const conv = (side: number, kernel: number, inChannels: number, outChannels: number): number =>
    side * side * kernel * kernel * inChannels * outChannels;

  let side = outputSide(imageSize, 7, 2, 3);
  let total = conv(side, 7, 3, 64);
  side = outputSide(side, 3, 2, 1); // max-pool
  let inChannels = 64;
  spec.layers.forEach((blocks, stage) => {
    const width = STAGE_WIDTHS[stage] as number;
    const outChannels = width * spec.expansion;
    for (let b = 0; b < blocks; b++) {
      const stride = b === 0 && stage > 0 ? 2 : 1;
      const inSide = side;
      const outSide = outputSide(inSide, 3, stride, 1);
      if (spec.block === 'basic') {
        total += conv(outSide, 3, inChannels, width) + conv(outSide, 3, width, width);
      } else {
        // torchvision v1.5: the stride sits on the 3×3, so conv1 runs at the input resolution.
        total += conv(inSide, 1, inChannels, width) + conv(outSide, 3, width, width) + conv(outSide, 1, width, outChannels);
      }
      if (b === 0 && (stride !== 1 || inChannels !== outChannels)) total += conv(outSide, 1, inChannels, outChannels);
      side = outSide;
      inChannels = outChannels;
    }
  });
  return total + inChannels * numClasses;
}

export function describeModel(depth: ResNetDepth): ModelInfo {
  const spec = RESNET_SPECS[depth];
  const channels = featureChannels(depth);
  const parameters = parameterCount(depth, IMAGENET_CLASSES);
  return {
    depth,
    block: spec.block,
    layers: [...spec.layers],
    featureChannels: channels,
    parameters,
    backboneParameters: parameters - (channels * IMAGENET_CLASSES + IMAGENET_CLASSES),
    gflops: Math.round(multiplyAdds(depth) / 1e7) / 100,
  };
}

export function modelCatalog(): ModelInfo[] {
  return RESNET_DEPTHS.map(describeModel);
}
