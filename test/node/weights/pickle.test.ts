import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import type { PickleValue } from '../../../src-main/node/weights/pickle';
import { PickleWriter, TorchStorage, TorchTensorRef, unpickle, unpickleAt } from '../../../src-main/node/weights/pickle';
import { fixturePath } from '../../fixtures/weights/expectedTensors';

/** Python's pickle.dumps of one value at protocols 0..5, and that value's JSON form (make_fixtures.py). */
const plain = JSON.parse(readFileSync(fixturePath('plain_pickles.json'), 'utf8')) as { expected: unknown; pickles: Record<string, string> };

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') out.push(...new TextEncoder().encode(part));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The same JSON form make_fixtures.py's plain_json builds (sets come back as lists; sorted there). */
function toJson(value: PickleValue): Json {
  if (value instanceof Map) return { dict: [...value].map(([k, v]) => [toJson(k), toJson(v)]) };
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  throw new Error(`unexpected ${String(value)}`);
}

function failure(bytes: Uint8Array, persistentLoad?: (pid: PickleValue) => PickleValue): WorkbenchError {
  try {
    unpickle(bytes, { source: "'data.pkl'", persistentLoad });
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    return error as WorkbenchError;
  }
  throw new Error('expected unpickle to fail');
}

describe('unpickle: plain values written by Python', () => {
  it.each(['0', '1', '2', '3', '4', '5'])('protocol %s gives exactly what Python pickled', (protocol) => {
    const value = unpickle(fromHex(plain.pickles[protocol] as string));
    const json = toJson(value) as { dict: [string, Json][] };
    // Python sorted the set's items in its JSON form; do the same for ours.
    for (const entry of json.dict) if (entry[0] === 'set' || entry[0] === 'frozenset') (entry[1] as number[]).sort((a, b) => a - b);
    expect(json).toEqual(plain.expected);
  });

  it('keeps memoised objects shared', () => {
    const value = unpickle(fromHex(plain.pickles['2'] as string)) as Map<PickleValue, PickleValue>;
    const shared = value.get('shared') as PickleValue[][];
    expect(shared[0]).toBe(shared[1]);
  });

  it('reads consecutive pickles from one buffer', () => {
    const first = new PickleWriter().protocol(2).int(1001).stop().bytes();
    const second = new PickleWriter().protocol(2).string('next').stop().bytes();
    const both = new Uint8Array([...first, ...second]);
    const a = unpickleAt(both, 0);
    expect(a).toEqual({ value: 1001, end: first.length });
    expect(unpickleAt(both, a.end).value).toBe('next');
  });
});

describe('unpickle: refused globals', () => {
  it.each([
    ['GLOBAL os.system', bytesOf([0x80, 2], 'cos\nsystem\n', 'X', [2, 0, 0, 0], 'ls', [0x85, 0x52, 0x2e]), 'os.system'],
    ['GLOBAL posix.system', bytesOf('cposix\nsystem\n(S\'id\'\ntR.'), 'posix.system'],
    ['GLOBAL builtins.eval', bytesOf('cbuiltins\neval\n(S\'1\'\ntR.'), 'builtins.eval'],
    ['GLOBAL builtins.getattr', bytesOf('cbuiltins\ngetattr\n.'), 'builtins.getattr'],
    ['STACK_GLOBAL subprocess.Popen', bytesOf([0x80, 4, 0x8c, 10], 'subprocess', [0x8c, 5], 'Popen', [0x93, 0x2e]), 'subprocess.Popen'],
    ['INST os.system', bytesOf('(S\'id\'\nios\nsystem\n.'), 'os.system'],
    ['a torch.nn.Module class', bytesOf('ctorch.nn.modules.linear\nLinear\n.'), 'torch.nn.modules.linear.Linear'],
    ['torch.load itself', bytesOf('ctorch\nload\n.'), 'torch.load'],
    ['numpy reconstruction', bytesOf('cnumpy.core.multiarray\n_reconstruct\n.'), 'numpy.core.multiarray._reconstruct'],
    ['the copyreg extension registry', bytesOf([0x80, 2, 0x82, 1, 0x2e]), 'the copyreg extension registry'],
  ])('%s is refused before anything is built', (_, bytes, name) => {
    const error = failure(bytes);
    expect(error.code).toBe('CHECKPOINT_UNSAFE');
    expect(error.message).toContain(`refuses to load '${name}' from 'data.pkl'`);
    expect(error.message).toContain('only tensors and plain containers are allowed');
  });

  it('refuses to call a storage class', () => {
    const error = failure(bytesOf('ctorch\nFloatStorage\n)R.'));
    expect(error.code).toBe('CHECKPOINT_UNSAFE');
  });

  it('names an unsupported storage type', () => {
    const error = failure(bytesOf('ctorch\nComplexFloatStorage\n.'));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toContain('torch.ComplexFloatStorage, which is not supported');
  });
});

describe('unpickle: tensors', () => {
  it('builds a strided tensor reference from _rebuild_tensor_v2 and a persistent storage', () => {
    const storage = new TorchStorage('0', 'float32', 12);
    const pids: PickleValue[] = [];
    const bytes = new PickleWriter().protocol(2)
      .global('torch._utils', '_rebuild_parameter').mark()
      .global('torch._utils', '_rebuild_tensor_v2').mark()
      .mark().string('storage').global('torch', 'FloatStorage').string('0').string('cpu').int(12).tuple().persistentId()
      .int(1).intTuple([4, 2]).intTuple([1, 4]).bool(true).global('collections', 'OrderedDict').emptyTuple().reduce()
      .tuple().reduce().bool(true).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce()
      .stop().bytes();
    const value = unpickle(bytes, { persistentLoad: (pid) => (pids.push(pid), storage) });
    expect(value).toBeInstanceOf(TorchTensorRef);
    const ref = value as TorchTensorRef;
    expect(ref.storage).toBe(storage);
    expect({ offset: ref.storageOffset, size: ref.size, stride: ref.stride }).toEqual({ offset: 1, size: [4, 2], stride: [1, 4] });
    expect(pids).toHaveLength(1);
    expect((pids[0] as PickleValue[])[0]).toBe('storage');
  });

  it('refuses persistent ids when there is nothing to resolve them', () => {
    const error = failure(bytesOf('(S\'storage\'\ntQ.'));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain('persistent ids');
  });

  it('refuses a tensor with a malformed size', () => {
    const bytes = new PickleWriter().protocol(2).global('torch._utils', '_rebuild_tensor_v2').mark()
      .mark().string('storage').global('torch', 'FloatStorage').string('0').string('cpu').int(1).tuple().persistentId()
      .int(0).string('not a size').intTuple([1]).bool(false).none().tuple().reduce().stop().bytes();
    const error = failure(bytes, () => new TorchStorage('0', 'float32', 1));
    expect(error.message).toContain('a tensor with a bad size or stride');
  });
});

describe('unpickle: corrupt input', () => {
  const good = fromHex(plain.pickles['2'] as string);

  it('reports truncation at every cut point as CHECKPOINT_CORRUPT', () => {
    for (let cut = 0; cut < good.length; cut += 7) {
      const error = failure(good.subarray(0, cut));
      expect(error.code, `cut at ${cut}`).toBe('CHECKPOINT_CORRUPT');
      expect(error.message, `cut at ${cut}`).toContain("'data.pkl' is corrupt");
    }
  });

  it.each([
    ['an unknown opcode', bytesOf([0x80, 2, 0xff]), 'unknown opcode 0xff at byte 2'],
    ['REDUCE on an empty stack', bytesOf('R.'), 'the stack is empty'],
    ['TUPLE without MARK', bytesOf('K\x01t.'), 'a MARK is missing'],
    ['STOP with two values', bytesOf('K\x01K\x02.'), 'STOP with an unbalanced stack'],
    ['an undefined memo entry', bytesOf('h\x05.'), 'memo entry 5 is used before it is defined'],
    ['invalid UTF-8', bytesOf('X', [2, 0, 0, 0], [0xc3, 0x28], '.'), 'not valid UTF-8'],
    ['a protocol from the future', bytesOf([0x80, 9]), 'pickle protocol 9 is newer than 5'],
    ['out-of-band buffers', bytesOf([0x80, 5, 0x97]), 'out-of-band buffers'],
    ['a huge length', bytesOf('X', [0xff, 0xff, 0xff, 0x7f], '.'), 'ends unexpectedly'],
    ['SETITEM on a list', bytesOf(']K\x01K\x02s.'), 'SETITEM on something that is not a dict'],
  ])('%s', (_, bytes, message) => {
    const error = failure(bytes);
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain(message);
  });
});

describe('PickleWriter', () => {
  it('writes integers, tuples, strings and booleans that read back identically', () => {
    const ints = [0, 1, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 53) + 1, 2 ** 53 - 1];
    const w = new PickleWriter().protocol(2).mark();
    for (const n of ints) w.int(n);
    for (let length = 0; length <= 5; length++) w.intTuple(Array.from({ length }, (_, i) => i * 1000));
    w.string('héllo ✓ 😀').bool(true).bool(false).none().tuple().stop();
    expect(unpickle(w.bytes())).toEqual([
      ...ints,
      ...Array.from({ length: 6 }, (_, length) => Array.from({ length }, (__, i) => i * 1000)),
      'héllo ✓ 😀',
      true,
      false,
      null,
    ]);
  });
});

describe('unpickle: protocol 0 special floats', () => {
  it('reads inf, -inf and nan as Python writes them', () => {
    const value = unpickle(new TextEncoder().encode('(lp0\nFinf\naF-inf\naFnan\naF-0.0\na.')) as number[];
    expect(value).toEqual([Infinity, -Infinity, NaN, -0]);
  });
});
