/**
 * The `models.catalog` answer: each ResNet depth with its parameter count and cost, computed from
 * the spec table rather than typed in, so it cannot drift from the builder.
 */
import type { ModelInfo } from '../../common/contract';
import { RESNET_DEPTHS, RESNET_SPECS, featureChannels, parameterCount, type ResNetDepth } from '../../common/resnetSpec';
import { resnetMultiplyAccumulates } from '../weights/catalog';

/** ImageNet's class count: torchvision's published figures are for this head. */
const IMAGENET_CLASSES = 1000;

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
    gflops: Math.round(resnetMultiplyAccumulates(depth) / 1e7) / 100,
  };
}

export function modelCatalog(): ModelInfo[] {
  return RESNET_DEPTHS.map(describeModel);
}
