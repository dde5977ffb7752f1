/**
 * ONNX export: torchvision's ResNet as an ONNX graph (opset 13), NCHW float input `input` with a
 * dynamic batch dimension, logits output `logits`. Every parameter is an initializer named by its
 * torchvision state-dict key and BatchNormalization stays a node (not folded into Conv): the file
 * then reads back as a state dict bit for bit, and ONNX Runtime folds BN itself when it optimizes.
 * Padding is explicit and symmetric, as PyTorch pads.
 */
import { readRegularFile } from '../io/regularFile';
import { MAX_CHECKPOINT_FILE_BYTES } from '../weights/checkpointFile';
import { WorkbenchError } from '../../common/errors';
import { resnetBlocks, type ResNetDepth } from '../../common/resnetSpec';
import { APP_VERSION } from '../appVersion';
import type { StateDict } from '../weights/stateDict';
import { toFloat32 } from '../weights/stateDict';
import { metadataFromStrings, metadataToStrings, type ExportMetadata } from './exportMetadata';
import { ONNX_FLOAT, ONNX_IR_VERSION, ONNX_OPSET, onnxType } from './onnxProto';

export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';

type Attribute = { name: string; type: number; i?: number; f?: number; ints?: number[] };
interface OnnxNode {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}

// AttributeProto.AttributeType
const FLOAT_ATTR = 1;
const INT_ATTR = 2;
const INTS_ATTR = 7;

const ints = (name: string, values: number[]): Attribute => ({ name, type: INTS_ATTR, ints: values });

/** The graph's nodes, built like engine/resnet.ts builds the tfjs model. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly used = new Set<string>();

  private add(op: string, name: string, input: string[], attribute: Attribute[] = []): string {
    const output = `${name}:out`;
    this.nodes.push({ name, op_type: op, input, output: [output], attribute });
    return output;
  }

  conv(x: string, module: string, kernel: number, stride: number, pad: number): string {
    this.used.add(`${module}.weight`);
    return this.add('Conv', module, [x, `${module}.weight`], [ints('kernel_shape', [kernel, kernel]), ints('strides', [stride, stride]), ints('pads', [pad, pad, pad, pad])]);
  }

  bn(x: string, module: string): string {
    const params = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => `${module}.${p}`);
    params.forEach((p) => this.used.add(p));
    return this.add('BatchNormalization', module, [x, ...params], [{ name: 'epsilon', type: FLOAT_ATTR, f: 1e-5 }]);
  }

  relu(x: string, name: string): string {
    return this.add('Relu', name, [x]);
  }

  block(x: string, prefix: string, kind: 'basic' | 'bottleneck', width: number, stride: number, downsample: boolean): string {
    let out: string;
    if (kind === 'basic') {
      out = this.relu(this.bn(this.conv(x, `${prefix}.conv1`, 3, stride, 1), `${prefix}.bn1`), `${prefix}.relu1`);
      out = this.bn(this.conv(out, `${prefix}.conv2`, 3, 1, 1), `${prefix}.bn2`);
    } else {
      out = this.relu(this.bn(this.conv(x, `${prefix}.conv1`, 1, 1, 0), `${prefix}.bn1`), `${prefix}.relu1`);
      out = this.relu(this.bn(this.conv(out, `${prefix}.conv2`, 3, stride, 1), `${prefix}.bn2`), `${prefix}.relu2`);
      out = this.bn(this.conv(out, `${prefix}.conv3`, 1, 1, 0), `${prefix}.bn3`);
    }
    const identity = downsample ? this.bn(this.conv(x, `${prefix}.downsample.0`, 1, stride, 0), `${prefix}.downsample.1`) : x;
    return this.relu(this.add('Add', `${prefix}.add`, [out, identity]), `${prefix}.relu`);
  }

  resnet(depth: ResNetDepth): void {
    let x = this.relu(this.bn(this.conv(ONNX_INPUT, 'conv1', 7, 2, 3), 'bn1'), 'relu');
    // ONNX MaxPool pads with -inf, as PyTorch's does.
    x = this.add('MaxPool', 'maxpool', [x], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
    for (const b of resnetBlocks(depth)) x = this.block(x, b.prefix, b.block, b.width, b.stride, b.downsample);
    x = this.add('GlobalAveragePool', 'avgpool', [x]);
    x = this.add('Flatten', 'flatten', [x], [{ name: 'axis', type: INT_ATTR, i: 1 }]);
    this.used.add('fc.weight').add('fc.bias');
    // Gemm with transB: fc.weight keeps torchvision's [classes, channels] layout.
    const last = this.nodes.length;
    this.add('Gemm', 'fc', [x, 'fc.weight', 'fc.bias'], [{ name: 'transB', type: INT_ATTR, i: 1 }]);
    (this.nodes[last] as OnnxNode).output = [ONNX_OUTPUT];
  }
}

function tensorType(dims: ({ dim_param: string } | { dim_value: number })[]): object {
  return { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: dims } } };
}

/** The ONNX model's bytes for a torchvision state dict and its export metadata. */
export function onnxModelBytes(dict: StateDict, metadata: ExportMetadata): Uint8Array {
  const graph = new GraphBuilder();
  graph.resnet(metadata.depth);
  const initializer = [...graph.used].map((name) => {
    const tensor = dict.get(name);
    if (!tensor) throw new WorkbenchError('CHECKPOINT_MISMATCH', `The model has no ${name}; cannot write it to ONNX.`);
    const data = toFloat32(tensor);
    return { name, dims: tensor.shape, data_type: ONNX_FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  });
  const side = metadata.imageSize;
  const model = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'resnet-workbench',
    producer_version: APP_VERSION,
    doc_string: `ResNet-${metadata.depth} classifier for ${metadata.labels.length} classes; input normalized NCHW RGB, output logits in label order.`,
    graph: {
      name: `resnet${metadata.depth}`,
      node: graph.nodes,
      initializer,
      input: [{ name: ONNX_INPUT, type: tensorType([{ dim_param: 'batch' }, { dim_value: 3 }, { dim_value: side }, { dim_value: side }]) }],
      output: [{ name: ONNX_OUTPUT, type: tensorType([{ dim_param: 'batch' }, { dim_value: metadata.labels.length }]) }],
    },
    metadata_props: Object.entries(metadataToStrings(metadata)).map(([key, value]) => ({ key, value })),
  };
  const type = onnxType('ModelProto');
  return type.encode(type.fromObject(model)).finish();
}

interface DecodedModel {
  graph?: { initializer?: { name: string; dims: number[]; data_type: number; raw_data?: Uint8Array; float_data?: number[] }[] };
  metadata_props?: { key: string; value: string }[];
}

/** Read back an ONNX file written by onnxModelBytes: its parameters as a state dict, and its metadata. */
export async function readOnnxModel(file: string): Promise<{ dict: StateDict; metadata: ExportMetadata }> {
  const bytes = await readRegularFile(file, { maxBytes: MAX_CHECKPOINT_FILE_BYTES, what: 'The ONNX model' });
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
