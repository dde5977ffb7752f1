/**
 * The torchvision formats: the full `resnet{depth}(num_classes=K)` state dict, as a zip-format .pth
 * (what torch.save writes; `load_state_dict(torch.load(path), strict=True)` accepts it) or as
 * safetensors with the export metadata in `__metadata__`. Same tensors, names and order in both.
 */
import type * as tf from '../engine/tf';
import type { ResNetDepth } from '../../common/resnetSpec';
import { serializeSafetensors } from '../weights/safetensors';
import type { StateDict } from '../weights/stateDict';
import { serializeTorchZip } from '../weights/torchPth';
import { extractStateDict } from '../weights/torchvisionWeights';
import { metadataToStrings, type ExportMetadata } from './exportMetadata';

export function modelStateDict(model: tf.LayersModel, depth: ResNetDepth): StateDict {
  return extractStateDict(model, depth);
}

export function pthBytes(dict: StateDict): Uint8Array {
  return serializeTorchZip(dict);
}

export function safetensorsBytes(dict: StateDict, metadata: ExportMetadata): Uint8Array {
  return serializeSafetensors(dict, metadataToStrings(metadata));
}
