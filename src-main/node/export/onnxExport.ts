/**
 * ONNX export: torchvision's ResNet as an ONNX graph (engine/onnxGraph.ts), NCHW float input `input`
 * with a dynamic batch dimension, logits output `logits`, the export metadata in `metadata_props`.
 */
import { readFile } from 'node:fs/promises';
import { WorkbenchError } from '../../common/errors';
import { APP_VERSION } from '../appVersion';
import type { StateDict } from '../weights/stateDict';
import { metadataFromStrings, metadataToStrings, type ExportMetadata } from './exportMetadata';
import { resnetOnnxBytes } from '../engine/onnxGraph';
import { ONNX_FLOAT, onnxType } from '../engine/onnxProto';


/** The ONNX model's bytes for a torchvision state dict and its export metadata. */
export function onnxModelBytes(dict: StateDict, metadata: ExportMetadata): Uint8Array {
  return resnetOnnxBytes(dict, {
    depth: metadata.depth,
    output: 'logits',
    imageSize: metadata.imageSize,
    numClasses: metadata.labels.length,
    metadata: metadataToStrings(metadata),
    producerVersion: APP_VERSION,
    docString: `ResNet-${metadata.depth} classifier for ${metadata.labels.length} classes; input normalized NCHW RGB, output logits in label order.`,
  });
}

interface DecodedModel {
  graph?: { initializer?: { name: string; dims: number[]; data_type: number; raw_data?: Uint8Array; float_data?: number[] }[] };
  metadata_props?: { key: string; value: string }[];
}

/** Read back an ONNX file written by onnxModelBytes: its parameters as a state dict, and its metadata. */
export async function readOnnxModel(file: string): Promise<{ dict: StateDict; metadata: ExportMetadata }> {
  const bytes = await readFile(file);
  let decoded: DecodedModel;
  try {
    const type = onnxType('ModelProto');
    decoded = type.toObject(type.decode(bytes), { longs: Number, arrays: true }) as DecodedModel;
  } catch (error) {
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `${file} is not an ONNX model: ${(error as Error).message}.`);
  }
  const props = Object.fromEntries((decoded.metadata_props ?? []).map((p) => [p.key, p.value]));
  const metadata = metadataFromStrings(props, file);
  if (!metadata) throw new WorkbenchError('BAD_INPUT', `${file} was not exported by resnet-workbench (no export metadata in its metadata_props), so its labels and preprocessing are unknown.`);
  const dict: StateDict = new Map();
  for (const t of decoded.graph?.initializer ?? []) {
    if (t.data_type !== ONNX_FLOAT) continue;
    // Copy: raw_data is a view into the file's bytes at an arbitrary (unaligned) offset.
    const data = t.raw_data && t.raw_data.byteLength > 0 ? new Float32Array(Uint8Array.from(t.raw_data).buffer) : Float32Array.from(t.float_data ?? []);
    dict.set(t.name, { dtype: 'float32', shape: t.dims, data });
  }
  return { dict, metadata };
}
