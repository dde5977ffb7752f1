import { describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { looksLikeSafetensors, parseSafetensors, serializeSafetensors } from '../../../src-main/node/weights/safetensors';
import type { HostTensor, StateDict } from '../../../src-main/node/weights/stateDict';
import { expectStateDictToMatch, loadExpected, readFixture } from '../../fixtures/weights/expectedTensors';

function sampleStateDict(): StateDict {
  return new Map<string, HostTensor>([
    ['half', { dtype: 'float16', shape: [3], data: new Uint16Array([0x3c00, 0x8000, 0x7c00]) }],
    ['conv.weight', { dtype: 'float32', shape: [2, 2], data: new Float32Array([0.5, -1.25, 3, Math.fround(0.1)]) }],
    ['mask', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
    ['f64', { dtype: 'float64', shape: [2], data: new Float64Array([Math.E, -0]) }],
    ['bf16', { dtype: 'bfloat16', shape: [1], data: new Uint16Array([0xbf80]) }],
    ['i64', { dtype: 'int64', shape: [], data: new BigInt64Array([-(2n ** 63n)]) }],
    ['i32', { dtype: 'int32', shape: [2], data: new Int32Array([-2147483648, 2147483647]) }],
    ['i16', { dtype: 'int16', shape: [1], data: new Int16Array([-3]) }],
    ['i8', { dtype: 'int8', shape: [2], data: new Int8Array([-128, 5]) }],
    ['u8', { dtype: 'uint8', shape: [2], data: new Uint8Array([255, 7]) }],
    ['empty', { dtype: 'float32', shape: [0], data: new Float32Array(0) }],
  ]);
}

/** A safetensors file from a header object and raw data, written by hand (no padding). */
function handMade(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function parseFailure(bytes: Uint8Array): WorkbenchError {
  try {
    parseSafetensors(bytes, { label: "'w.safetensors'" });
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    return error as WorkbenchError;
  }
  throw new Error('expected parseSafetensors to fail');
}

describe('parseSafetensors', () => {
  it('reads the file make_fixtures.py wrote from PyTorch tensors, with its metadata', () => {
    const expected = loadExpected();
    const { tensors, metadata } = parseSafetensors(readFixture('state_dict.safetensors'));
    expectStateDictToMatch(tensors, expected.tensors);
    expect(metadata).toEqual(expected.safetensors_metadata);
  });

  it('has no metadata when the header has none', () => {
    const bytes = handMade({ w: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array([3, 4]));
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({});
    expect(Array.from(tensors.get('w')?.data as Uint8Array)).toEqual([3, 4]);
  });

  it('reads tensors at any alignment (copying only when it must)', () => {
    // 3 bytes of header would leave the F32 data misaligned; the values must still be right.
    const header = JSON.stringify({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'F32', shape: [1], data_offsets: [1, 5] } });
    const data = new Uint8Array(5);
    data[0] = 9;
    new DataView(data.buffer).setFloat32(1, 1.5, true);
    const { tensors } = parseSafetensors(handMade(null, data, header));
    expect(Array.from(tensors.get('b')?.data as Float32Array)).toEqual([1.5]);
  });

  it.each([
    ['an empty file', new Uint8Array(0), 'shorter than the 8-byte header length'],
    ['a header longer than the file', handMade({}).subarray(0, 9), 'its header needs 2 bytes but the file has only 1'],
    ['a header that is not JSON', handMade(null, undefined, '{"a": '), 'its header is not valid JSON'],
    ['a header that is a list', handMade([1, 2]), 'its header is not a JSON object'],
    ['an unknown dtype', handMade({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), 'tensor \'w\' has dtype "C64"'],
    ['a negative dimension', handMade({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }), "tensor 'w' has a bad shape [-1]"],
    ['offsets that are not a pair', handMade({ w: { dtype: 'U8', shape: [1], data_offsets: [0] } }, new Uint8Array(1)), "tensor 'w' has bad data_offsets [0]"],
    ['a size that does not match the shape', handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), "tensor 'w' (F32, shape [2]) needs 8 bytes but data_offsets [0, 4] give 4"],
    ['reversed offsets', handMade({ w: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)), 'data_offsets [4, 0]'],
    [
      'overlapping tensors',
      handMade({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }, new Uint8Array(3)),
      "tensor 'b' starts at data offset 1, expected 2 (overlap)",
    ],
    [
      'a gap between tensors',
      handMade({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] } }, new Uint8Array(3)),
      "tensor 'b' starts at data offset 2, expected 1 (gap)",
    ],
    ['data past the end of the file', handMade({ w: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(2)), 'need 4 bytes of data but the file has 2 (truncated?)'],
    ['bytes that belong to no tensor', handMade({ w: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(3)), '2 bytes of data after the last tensor belong to no tensor'],
    ['metadata that is not a string map', handMade({ __metadata__: { epochs: 3 } }), "__metadata__ value 'epochs' is not a string"],
  ])('refuses %s with CHECKPOINT_CORRUPT naming the problem', (_, bytes, message) => {
    const error = parseFailure(bytes);
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain("'w.safetensors' is not a valid safetensors file");
    expect(error.message).toContain(message);
  });

  it('refuses a header length beyond the 100 MB limit without reading it', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(parseFailure(bytes).message).toContain('exceeds the 100000000-byte limit');
  });

  it('reports truncation at every cut point of a real file', () => {
    const bytes = readFixture('state_dict.safetensors');
    for (const cut of [0, 4, 8, 9, 50, 200, bytes.length - 100, bytes.length - 1]) {
      expect(parseFailure(bytes.subarray(0, cut)).code, `cut at ${cut}`).toBe('CHECKPOINT_CORRUPT');
    }
  });
});

describe('serializeSafetensors', () => {
  it('round-trips every dtype, values, shapes and metadata exactly', () => {
    const dict = sampleStateDict();
    const metadata = { format: 'pt', classes: '["cat","dog"]', note: 'é ✓' };
    const { tensors, metadata: readBack } = parseSafetensors(serializeSafetensors(dict, metadata));
    expect(readBack).toEqual(metadata);
    expect(new Set(tensors.keys())).toEqual(new Set(dict.keys()));
    for (const [name, tensor] of dict) {
      const got = tensors.get(name) as HostTensor;
      expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({ name, dtype: tensor.dtype, shape: tensor.shape });
      expect(got.data.constructor).toBe(tensor.data.constructor);
      expect(Array.from(got.data as ArrayLike<number | bigint>), name).toEqual(Array.from(tensor.data as ArrayLike<number | bigint>));
    }
  });

  it('pads the header with spaces to 8 bytes and aligns every tensor for its type', () => {
    const bytes = serializeSafetensors(sampleStateDict(), { a: 'b' });
    expect(looksLikeSafetensors(bytes)).toBe(true);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(length % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    expect(header['__metadata__']).toEqual({ a: 'b' });
    const sizes: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, I8: 1, U8: 1, BOOL: 1 };
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      expect((8 + length + entry.data_offsets[0]) % (sizes[entry.dtype] as number), name).toBe(0);
    }
    // Aligned data is read as views of the file buffer, not copies.
    const { tensors } = parseSafetensors(bytes);
    for (const tensor of tensors.values()) expect(tensor.data.buffer).toBe(bytes.buffer);
  });

  it('writes no __metadata__ when there is none', () => {
    const text = new TextDecoder().decode(serializeSafetensors(sampleStateDict()));
    expect(text).not.toContain('__metadata__');
  });

  it('refuses a tensor named __metadata__ and data that does not match the shape', () => {
    const bad = (dict: StateDict): unknown => serializeSafetensors(dict);
    expect(() => bad(new Map([['__metadata__', { dtype: 'uint8', shape: [0], data: new Uint8Array(0) }]]))).toThrow(/cannot be a tensor name/);
    expect(() => bad(new Map([['w', { dtype: 'int64', shape: [2], data: new BigInt64Array(1) }]]))).toThrow(/needs 16 bytes of data but has 8/);
  });
});
