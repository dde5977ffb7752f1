import { existsSync, rmSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { PickleWriter } from '../../../src-main/node/weights/pickle';
import type { HostTensor, StateDict } from '../../../src-main/node/weights/stateDict';
import { isLegacyTorchCheckpoint, parseTorchCheckpoint, serializeTorchZip } from '../../../src-main/node/weights/torchPth';
import { ZipArchive } from '../../../src-main/node/weights/zipArchive';
import type { ExpectedFixtures } from '../../fixtures/weights/expectedTensors';
import { expectStateDictToMatch, loadExpected, readFixture, tensorValues } from '../../fixtures/weights/expectedTensors';

let expected: ExpectedFixtures;
beforeAll(() => {
  expected = loadExpected();
});

function parseError(bytes: Uint8Array): WorkbenchError {
  try {
    parseTorchCheckpoint(bytes, { label: "'test.pth'" });
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    return error as WorkbenchError;
  }
  throw new Error('expected parseTorchCheckpoint to fail');
}

/** Every dtype, a scalar, an empty tensor and odd shapes, built in the test. */
function sampleStateDict(): StateDict {
  return new Map<string, HostTensor>([
    ['layer1.0.conv1.weight', { dtype: 'float32', shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => Math.fround(i / 7 - 1)) }],
    ['f64', { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -1e-310, 1e308]) }],
    ['f16', { dtype: 'float16', shape: [2, 2], data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x8000]) }],
    ['bf16', { dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3f80, 0xff7f]) }],
    ['i64', { dtype: 'int64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 0n, 2n ** 62n + 5n]) }],
    ['i32', { dtype: 'int32', shape: [1, 2], data: new Int32Array([-5, 7]) }],
    ['i16', { dtype: 'int16', shape: [2], data: new Int16Array([-32768, 32767]) }],
    ['i8', { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) }],
    ['u8', { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 128, 255]) }],
    ['mask', { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }],
    ['bn1.num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array([42n]) }],
    ['empty', { dtype: 'float32', shape: [2, 0, 3], data: new Float32Array(0) }],
    ['wide', { dtype: 'float32', shape: [1, 1, 1, 70_000], data: Float32Array.from({ length: 70_000 }, (_, i) => i) }],
  ]);
}

function expectSameStateDict(actual: StateDict, wanted: StateDict): void {
  expect([...actual.keys()]).toEqual([...wanted.keys()]);
  for (const [name, tensor] of wanted) {
    const got = actual.get(name) as HostTensor;
    expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({ name, dtype: tensor.dtype, shape: tensor.shape });
    expect(got.data.constructor).toBe(tensor.data.constructor);
    expect(Array.from(got.data as ArrayLike<number | bigint>), name).toEqual(Array.from(tensor.data as ArrayLike<number | bigint>));
  }
}

describe('parseTorchCheckpoint on files written by PyTorch', () => {
  it.each(['state_dict.zip.pth', 'state_dict.legacy.pth', 'state_dict.protocol4.zip.pth'])('%s matches every value PyTorch reads', (file) => {
    expectStateDictToMatch(parseTorchCheckpoint(readFixture(file)), expected.tensors);
  });

  it.each(['nested_module.zip.pth', 'nested_module.legacy.pth'])(
    '%s: unwraps {state_dict: ...}, strips module. and drops non-tensor entries',
    (file) => {
      expectStateDictToMatch(parseTorchCheckpoint(readFixture(file)), expected.tensors);
    },
  );

  it('recognises the legacy magic number and nothing else', () => {
    expect(isLegacyTorchCheckpoint(readFixture('state_dict.legacy.pth'))).toBe(true);
    expect(isLegacyTorchCheckpoint(readFixture('state_dict.zip.pth'))).toBe(false);
    expect(isLegacyTorchCheckpoint(readFixture('state_dict.safetensors'))).toBe(false);
  });

  it('returns views into the file for aligned zip records, shared storages sharing memory', () => {
    const bytes = readFixture('state_dict.zip.pth');
    const dict = parseTorchCheckpoint(bytes);
    const first = dict.get('shared.first') as HostTensor;
    const second = dict.get('shared.second') as HostTensor;
    for (const name of ['conv1.weight', 'bn1.running_var', 'shared.first', 'int64_values']) {
      expect((dict.get(name) as HostTensor).data.buffer, name).toBe(bytes.buffer);
    }
    // Both views of one 10-float storage: offsets 1 and 4 elements into the same record.
    expect(second.data.byteOffset - first.data.byteOffset).toBe(3 * 4);
  });

  it('materialises non-contiguous tensors in row-major order', () => {
    const dict = parseTorchCheckpoint(readFixture('state_dict.legacy.pth'));
    expect(tensorValues(dict.get('fc.weight_t') as HostTensor)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(tensorValues(dict.get('strided.view') as HostTensor)).toEqual([5, 7, 9, 10, 12, 14, 15, 17, 19]);
  });
});

describe('parseTorchCheckpoint refuses code', () => {
  it.each([
    ['malicious_os_system.zip.pth', 'posix.system'],
    // Protocol 2 names Python 3's builtins module by its Python 2 name.
    ['malicious_eval.legacy.pth', '__builtin__.eval'],
  ])('%s is refused as unsafe and its payload never runs', (file, global) => {
    const marker = expected.marker_path;
    rmSync(marker, { force: true });
    const error = parseError(readFixture(file));
    expect(error.code).toBe('CHECKPOINT_UNSAFE');
    expect(error.message).toContain(`refuses to load '${global}'`);
    expect(error.message).toContain('only tensors and plain containers are allowed');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a pickled nn.Module (torch.save(model))', () => {
    const error = parseError(readFixture('full_model.zip.pth'));
    expect(error.code).toBe('CHECKPOINT_UNSAFE');
    expect(error.message).toContain("'torch.nn.modules.linear.Linear'");
  });

  it('explains that a TorchScript archive is not a weights file', () => {
    const error = parseError(readFixture('torchscript.zip.pt'));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toContain('TorchScript');
  });
});

describe('parseTorchCheckpoint on damaged files', () => {
  it.each(['state_dict.zip.pth', 'state_dict.legacy.pth'])('%s truncated at any of several points is CHECKPOINT_CORRUPT', (file) => {
    const bytes = readFixture(file);
    const cuts = [1, 2, 10, 30, 100, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 200, bytes.length - 23, bytes.length - 1];
    for (const cut of cuts) {
      const error = parseError(bytes.subarray(0, cut));
      expect(error.code, `cut at ${cut}`).toBe('CHECKPOINT_CORRUPT');
      expect(error.message, `cut at ${cut}`).toContain("'test.pth'");
    }
  });

  it('names the truncation point of a legacy file cut inside the tensor data', () => {
    const bytes = readFixture('state_dict.legacy.pth');
    const error = parseError(bytes.subarray(0, bytes.length - 3));
    expect(error.message).toMatch(/storage '\d+' ends at byte \d+, beyond the end of the file \(\d+ bytes; truncated\?\)/);
  });

  it('rejects a wrong legacy magic number and garbage bytes as not a PyTorch checkpoint', () => {
    const legacy = readFixture('state_dict.legacy.pth').slice();
    legacy[5] = (legacy[5] as number) ^ 0xff;
    expect(parseError(legacy).message).toContain('is not a PyTorch checkpoint');
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    expect(parseError(garbage).code).toBe('CHECKPOINT_CORRUPT');
    expect(parseError(new Uint8Array(0)).code).toBe('CHECKPOINT_CORRUPT');
  });

  it('detects a damaged data.pkl by its checksum', () => {
    const bytes = readFixture('state_dict.zip.pth').slice();
    const archive = new ZipArchive(bytes, 'x');
    const pickle = archive.entries.get('state_dict.zip/data.pkl');
    expect(pickle).toBeDefined();
    const at = (pickle?.dataOffset ?? 0) + 50;
    bytes[at] = (bytes[at] as number) ^ 0x01;
    const error = parseError(bytes);
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain('checksum');
  });

  it('names a missing storage record', () => {
    const files = unzipSync(serializeTorchZip(sampleStateDict()));
    delete files['archive/data/3'];
    const error = parseError(zipSync(files, { level: 0 }));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain("storage '3' (record 'archive/data/3') is missing");
  });

  it('refuses a tensor that reads past the end of its storage', () => {
    const pickle = new PickleWriter().protocol(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark()
      .string('w').global('torch._utils', '_rebuild_tensor_v2').mark()
      .mark().string('storage').global('torch', 'FloatStorage').string('0').string('cpu').int(4).tuple().persistentId()
      .int(2).intTuple([3]).intTuple([1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce()
      .tuple().reduce().setItems().stop().bytes();
    const zip = zipSync({ 'a/data.pkl': pickle, 'a/data/0': new Uint8Array(16), 'a/version': new TextEncoder().encode('3\n') }, { level: 0 });
    const error = parseError(zip);
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain("tensor 'w' (shape [3], offset 2) reads past the end of its storage of 4 values");
  });

  it('reads archives whose records were re-compressed (deflate)', () => {
    const files = unzipSync(readFixture('state_dict.zip.pth'));
    expectStateDictToMatch(parseTorchCheckpoint(zipSync(files, { level: 6 })), expected.tensors);
  });
});

describe('serializeTorchZip', () => {
  it('round-trips every dtype, a scalar and empty tensors exactly', () => {
    const dict = sampleStateDict();
    expectSameStateDict(parseTorchCheckpoint(serializeTorchZip(dict)), dict);
  });

  it('round-trips the PyTorch fixture (including its non-contiguous tensors, now contiguous)', () => {
    const dict = parseTorchCheckpoint(readFixture('state_dict.legacy.pth'));
    expectStateDictToMatch(parseTorchCheckpoint(serializeTorchZip(dict)), expected.tensors);
  });

  it('lays records out as PyTorch does: stored, 64-byte aligned, version 3, little-endian', () => {
    const bytes = serializeTorchZip(sampleStateDict(), { archiveName: 'resnet18' });
    const archive = new ZipArchive(bytes, 'x');
    expect([...archive.entries.keys()]).toEqual([
      'resnet18/data.pkl',
      'resnet18/byteorder',
      ...Array.from({ length: 13 }, (_, i) => `resnet18/data/${i}`),
      'resnet18/version',
    ]);
    for (const entry of archive.entries.values()) {
      expect(entry.compression, entry.name).toBe(0);
      expect(entry.dataOffset % 64, entry.name).toBe(0);
      archive.verify(entry, archive.read(entry));
    }
    const text = (name: string): string => new TextDecoder().decode(archive.read(archive.entries.get(name) as never));
    expect(text('resnet18/version')).toBe('3\n');
    expect(text('resnet18/byteorder')).toBe('little');
  });

  it('refuses a tensor whose data does not match its shape', () => {
    const dict: StateDict = new Map([['w', { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }]]);
    expect(() => serializeTorchZip(dict)).toThrow(/Tensor 'w' \(float32, shape \[2, 2\]\) needs 16 bytes of data but has 12/);
  });
});

describe('parseTorchCheckpoint on formats it does not read', () => {
  it('names the pre-0.1.10 tar format', () => {
    const tar = new Uint8Array(1024);
    tar.set(new TextEncoder().encode('ustar'), 257);
    const error = parseError(tar);
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toContain('tar-format checkpoint');
  });
});
