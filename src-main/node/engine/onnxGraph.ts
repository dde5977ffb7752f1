/**
 * torchvision's ResNet as an ONNX graph (opset 13), written from a state dict: the export format, and
 * the graphs ONNX Runtime runs inside the engine (the frozen backbone to pooled features, a prefix up
 * to a stage for fine-tuning, the whole classifier for predictions).
 *
 * Every parameter is an initializer named by its torchvision state-dict key and BatchNormalization
 * stays a node (not folded into Conv): an exported file then reads back as a state dict bit for bit,
 * and ONNX Runtime folds BN itself when it optimizes. Padding is explicit and symmetric, as PyTorch pads.
 */
import { WorkbenchError } from '../../common/errors';
import { resnetBlocks, STAGE_WIDTHS, RESNET_SPECS, featureChannels, type ResNetDepth } from '../../common/resnetSpec';
import type { StateDict } from '../weights/stateDict';
import { toFloat32 } from '../weights/stateDict';
import { ONNX_FLOAT, ONNX_IR_VERSION, ONNX_OPSET, onnxType } from './onnxProto';

export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'logits';
/** Output name of the engine's internal graphs (features or a stage's maps). */
export const ONNX_FEATURES = 'features';

/** The stages a graph can end after (fine-tuning runs everything up to the last frozen one here). */
export const RESNET_STAGES = ['layer1', 'layer2', 'layer3', 'layer4'] as const;
export type ResNetStage = (typeof RESNET_STAGES)[number];

/**
 * What a graph computes:
 * - `logits`: the whole classifier (needs `fc.*`);
 * - `features`: the frozen backbone to the pooled, flattened features (`[batch, channels]`);
 * - `{ stage }`: stem and stages up to and including `stage`, its feature maps.
 */
export type OnnxGraphOutput = 'logits' | 'features' | { stage: ResNetStage };

export interface OnnxGraphOptions {
  depth: ResNetDepth;
  output: OnnxGraphOutput;
  /** Input side in pixels (square). */
  imageSize: number;
  /**
   * `nchw`: PyTorch's layout (the export format). `nhwc`: the engine's own batches (tfjs' layout);
   * the graph transposes on entry, and a stage's maps leave it NHWC too. Default 'nchw'.
   */
  layout?: 'nchw' | 'nhwc';
  /** Classes, for the logits output's shape. */
  numClasses?: number;
  metadata?: Record<string, string>;
  docString?: string;
  producerVersion?: string;
}

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

  add(op: string, name: string, input: string[], attribute: Attribute[] = []): string {
    const output = `${name}:out`;
    this.nodes.push({ name, op_type: op, input, output: [output], attribute });
    return output;
  }

  /** Renames the last node's output (graph outputs carry their public name). */
  nameLastOutput(name: string): void {
    const last = this.nodes.at(-1);
    if (last) last.output = [name];
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

  block(x: string, prefix: string, kind: 'basic' | 'bottleneck', stride: number, downsample: boolean): string {
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

  /** Stem and stages; returns the last stage's maps (NCHW). */
  trunk(input: string, depth: ResNetDepth, lastStage: number): string {
    let x = this.relu(this.bn(this.conv(input, 'conv1', 7, 2, 3), 'bn1'), 'relu');
    // ONNX MaxPool pads with -inf, as PyTorch's does.
    x = this.add('MaxPool', 'maxpool', [x], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
    for (const b of resnetBlocks(depth)) if (b.stage <= lastStage) x = this.block(x, b.prefix, b.block, b.stride, b.downsample);
    return x;
  }
}

type Dim = { dim_param: string } | { dim_value: number };

function tensorType(dims: Dim[]): object {
  return { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: dims } } };
}

/** Side of a stage's maps for a square input (stem /4, then /2 per later stage), as PyTorch computes it. */
export function stageSide(imageSize: number, stage: number): number {
  const conv = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;
  let side = conv(conv(imageSize, 7, 2, 3), 3, 2, 1);
  for (let i = 1; i <= stage; i++) side = conv(side, 3, 2, 1);
  return side;
}

/** The ONNX model's bytes for a torchvision state dict. */
export function resnetOnnxBytes(dict: StateDict, options: OnnxGraphOptions): Uint8Array {
  const { depth, output, imageSize: side } = options;
  const nhwc = options.layout === 'nhwc';
  const graph = new GraphBuilder();
  const batch: Dim = { dim_param: 'batch' };
  const input = nhwc ? graph.add('Transpose', 'input_to_nchw', [ONNX_INPUT], [ints('perm', [0, 3, 1, 2])]) : ONNX_INPUT;
  const lastStage = typeof output === 'object' ? RESNET_STAGES.indexOf(output.stage) : RESNET_STAGES.length - 1;
  const maps = graph.trunk(input, depth, lastStage);
  let outputName: string;
  let outputDims: Dim[];
  if (typeof output === 'object') {
    const channels = (STAGE_WIDTHS[lastStage] as number) * RESNET_SPECS[depth].expansion;
    const mapSide = stageSide(side, lastStage);
    if (nhwc) graph.add('Transpose', 'features_to_nhwc', [maps], [ints('perm', [0, 2, 3, 1])]);
    else graph.add('Identity', 'features', [maps]);
    outputName = ONNX_FEATURES;
    outputDims = nhwc ? [batch, { dim_value: mapSide }, { dim_value: mapSide }, { dim_value: channels }] : [batch, { dim_value: channels }, { dim_value: mapSide }, { dim_value: mapSide }];
  } else {
    const pooled = graph.add('GlobalAveragePool', 'avgpool', [maps]);
    graph.add('Flatten', 'flatten', [pooled], [{ name: 'axis', type: INT_ATTR, i: 1 }]);
    if (output === 'features') {
      outputName = ONNX_FEATURES;
      outputDims = [batch, { dim_value: featureChannels(depth) }];
    } else {
      const numClasses = options.numClasses ?? dict.get('fc.bias')?.shape[0];
      if (numClasses === undefined) throw new WorkbenchError('CHECKPOINT_MISMATCH', 'The model has no fc.bias; cannot write its classifier to ONNX.');
      graph.used.add('fc.weight').add('fc.bias');
      // Gemm with transB: fc.weight keeps torchvision's [classes, channels] layout.
      graph.add('Gemm', 'fc', [graph.nodes.at(-1)?.output[0] ?? '', 'fc.weight', 'fc.bias'], [{ name: 'transB', type: INT_ATTR, i: 1 }]);
      outputName = ONNX_OUTPUT;
      outputDims = [batch, { dim_value: numClasses }];
    }
  }
  graph.nameLastOutput(outputName);
  const initializers = [...graph.used].map((name) => {
    const tensor = dict.get(name);
    if (!tensor) throw new WorkbenchError('CHECKPOINT_MISMATCH', `The model has no ${name}; cannot write it to ONNX.`);
    const data = toFloat32(tensor);
    return { name, dims: tensor.shape, raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  });
  const inputDims: Dim[] = nhwc ? [batch, { dim_value: side }, { dim_value: side }, { dim_value: 3 }] : [batch, { dim_value: 3 }, { dim_value: side }, { dim_value: side }];
  const graphProto = {
    name: `resnet${depth}`,
    node: graph.nodes,
    input: [{ name: ONNX_INPUT, type: tensorType(inputDims) }],
    output: [{ name: outputName, type: tensorType(outputDims) }],
  };
  const model = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'resnet-workbench',
    producer_version: options.producerVersion ?? '',
    doc_string: options.docString ?? '',
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return encodeModel(model, graphProto, initializers);
}

/** Field numbers of the messages encodeModel splices together (onnx.proto). */
const MODEL_GRAPH_FIELD = 7;
const GRAPH_INITIALIZER_FIELD = 5;
const TENSOR_RAW_DATA_FIELD = 9;

/** A length-delimited field's key and length, as protobuf varints. */
function lengthDelimited(field: number, length: number): Uint8Array {
  const bytes: number[] = [];
  for (let value of [(field << 3) | 2, length]) {
    while (value > 0x7f) {
      bytes.push((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    bytes.push(value);
  }
  return Uint8Array.from(bytes);
}

/**
 * The ModelProto bytes, with the weights copied once. protobufjs would copy each tensor's bytes into
 * a buffer that doubles as it grows and then into the finished one (about 0.5 s for ResNet-18's
 * 45 MB, paid on every run's start); here the small parts are encoded by protobufjs and the tensor
 * bytes go straight into one buffer of the exact size. Protobuf fields may come in any order, so
 * each message is its protobufjs-encoded part followed by the spliced fields.
 */
function encodeModel(model: object, graph: object, initializers: readonly { name: string; dims: readonly number[]; raw: Uint8Array }[]): Uint8Array {
  const tensors = initializers.map(({ name, dims, raw }) => {
    const head = onnxType('TensorProto').encode({ name, dims, data_type: ONNX_FLOAT }).finish();
    const rawKey = lengthDelimited(TENSOR_RAW_DATA_FIELD, raw.length);
    const length = head.length + rawKey.length + raw.length;
    return { key: lengthDelimited(GRAPH_INITIALIZER_FIELD, length), parts: [head, rawKey, raw], length };
  });
  const graphHead = onnxType('GraphProto').encode(onnxType('GraphProto').fromObject(graph)).finish();
  const graphLength = graphHead.length + tensors.reduce((sum, t) => sum + t.key.length + t.length, 0);
  const modelHead = onnxType('ModelProto').encode(onnxType('ModelProto').fromObject(model)).finish();
  const graphKey = lengthDelimited(MODEL_GRAPH_FIELD, graphLength);
  const out = new Uint8Array(modelHead.length + graphKey.length + graphLength);
  let at = 0;
  for (const part of [modelHead, graphKey, graphHead, ...tensors.flatMap((t) => [t.key, ...t.parts])]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
