/**
 * The ONNX bytes are spliced by hand around protobufjs-encoded parts (one copy of the weights): they
 * must decode, with the official schema, to exactly the model protobufjs alone describes.
 */
import { describe, expect, it } from 'vitest';
import { resnetOnnxBytes } from '../../../src-main/node/engine/onnxGraph';
import { onnxType, ONNX_FLOAT } from '../../../src-main/node/engine/onnxProto';
import { toFloat32 } from '../../../src-main/node/weights/stateDict';
import { formulaStateDict } from '../../support/formulaWeights';

interface DecodedTensor {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

describe('ONNX model bytes', () => {
  it('decode to the whole classifier: every weight bit for bit, nodes, inputs, outputs and metadata', () => {
    const dict = formulaStateDict(18, 7);
    const bytes = resnetOnnxBytes(dict, { depth: 18, output: 'logits', imageSize: 64, metadata: { classes: '["a","b"]' }, producerVersion: '9.9.9' });
    const model = onnxType('ModelProto').toObject(onnxType('ModelProto').decode(bytes), { longs: Number, bytes: Uint8Array, defaults: false }) as {
      ir_version: number;
      producer_version: string;
      metadata_props: { key: string; value: string }[];
      graph: { name: string; node: unknown[]; initializer: DecodedTensor[]; input: { name: string }[]; output: { name: string }[] };
    };
    expect(model.ir_version).toBe(7);
    expect(model.producer_version).toBe('9.9.9');
    expect(model.metadata_props).toEqual([{ key: 'classes', value: '["a","b"]' }]);
    expect(model.graph.name).toBe('resnet18');
    expect(model.graph.input.map((i) => i.name)).toEqual(['input']);
    expect(model.graph.output.map((o) => o.name)).toEqual(['logits']);
    expect(model.graph.node.length).toBeGreaterThan(60);

    const trainable = [...dict.keys()].filter((k) => !k.endsWith('num_batches_tracked'));
    expect(model.graph.initializer.map((t) => t.name).sort()).toEqual(trainable.sort());
    for (const tensor of model.graph.initializer) {
      const expected = dict.get(tensor.name)!;
      expect(tensor.dims.map(Number)).toEqual(expected.shape);
      expect(tensor.data_type).toBe(ONNX_FLOAT);
      const values = toFloat32(expected);
      expect(Buffer.from(tensor.raw_data).equals(Buffer.from(values.buffer, values.byteOffset, values.byteLength)), tensor.name).toBe(true);
    }
  });
});
