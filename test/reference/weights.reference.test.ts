/**
 * Checkpoint I/O against a live PyTorch (Debian's python3-torch at /usr/bin/python3):
 * - the committed fixtures are what make_fixtures.py makes with today's PyTorch;
 * - torch.load(weights_only=True) accepts what serializeTorchZip writes, value for value;
 * - a torchvision ResNet-18 state dict survives torch.save -> our reader -> our writers -> PyTorch;
 * - our safetensors files read back with an independent struct+json reader.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src-main/node/weights/checkpointFile';
import { serializeSafetensors } from '../../src-main/node/weights/safetensors';
import type { HostTensor, StateDict } from '../../src-main/node/weights/stateDict';
import { toFloat32 } from '../../src-main/node/weights/stateDict';
import { serializeTorchZip } from '../../src-main/node/weights/torchPth';
import { expectStateDictToMatch, FIXTURE_DIR, fixturePath, loadExpected, tensorValues } from '../fixtures/weights/expectedTensors';

const PYTHON = '/usr/bin/python3';

/** Runs Python code (`-c`), or a script file when `code` is a path ending in .py. */
function python(code: string, args: string[] = []): string {
  const program = code.endsWith('.py') ? [code] : ['-c', code];
  const result = spawnSync(PYTHON, [...program, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    throw new Error(`${PYTHON} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** Python that prints {name: {dtype, shape, values}} for a dict of tensors; int64 as strings, exact. */
const DUMP_TENSORS = `
import json, torch
NAMES = {torch.float32: 'float32', torch.float64: 'float64', torch.float16: 'float16', torch.bfloat16: 'bfloat16',
         torch.int64: 'int64', torch.int32: 'int32', torch.int16: 'int16', torch.int8: 'int8', torch.uint8: 'uint8',
         torch.bool: 'bool'}
def dump(tensors):
    out = {}
    for name, t in tensors.items():
        flat = t.detach().reshape(-1)
        if t.dtype in (torch.float16, torch.bfloat16):
            values = flat.double().tolist()
        elif t.dtype == torch.int64:
            values = [str(v) for v in flat.tolist()]
        else:
            values = flat.tolist()
        out[name] = {'dtype': NAMES[t.dtype], 'shape': list(t.shape), 'values': values}
    print(json.dumps(out))
`;

/** An independent safetensors reader: the spec, with struct and json, checking layout strictly. */
const READ_SAFETENSORS = `
import struct, sys
DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16,
          'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8,
          'BOOL': torch.bool}
def read_safetensors(path):
    data = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', data[:8])
    assert n % 8 == 0, 'header length %d is not a multiple of 8' % n
    text = data[8:8 + n].decode('utf-8')
    assert text.startswith('{') and text == text.rstrip(' ') + ' ' * (len(text) - len(text.rstrip(' ')))
    header = json.loads(text)
    metadata = header.pop('__metadata__', {})
    body = data[8 + n:]
    tensors = {}
    end = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
        begin, stop = entry['data_offsets']
        assert begin == end, 'gap or overlap at ' + name
        end = stop
        dtype = DTYPES[entry['dtype']]
        raw = bytearray(body[begin:stop])
        storage = torch.bool if dtype == torch.bool else (torch.int16 if dtype == torch.bfloat16 else dtype)
        if len(raw):
            t = torch.frombuffer(raw, dtype=torch.uint8 if dtype == torch.bool else storage)
        else:
            t = torch.empty(0, dtype=torch.uint8 if dtype == torch.bool else storage)
        if dtype == torch.bool:
            t = t.to(torch.bool)
        elif dtype == torch.bfloat16:
            t = t.view(torch.bfloat16)
        tensors[name] = t.reshape(entry['shape'])
    assert end == len(body), 'trailing bytes'
    return tensors, metadata
`;

interface DumpedTensor {
  dtype: string;
  shape: number[];
  values: (number | boolean | string)[];
}

/** Our tensor in the form DUMP_TENSORS prints. */
function dumpOf(tensor: HostTensor): DumpedTensor {
  let values: (number | boolean | string)[];
  if (tensor.data instanceof BigInt64Array) values = Array.from(tensor.data, (v) => v.toString());
  else if (tensor.dtype === 'float16' || tensor.dtype === 'bfloat16') values = Array.from(toFloat32(tensor));
  else values = tensorValues(tensor);
  return { dtype: tensor.dtype, shape: tensor.shape, values };
}

function expectDumpToMatch(dump: Record<string, DumpedTensor>, dict: StateDict): void {
  expect(Object.keys(dump).sort()).toEqual([...dict.keys()].sort());
  for (const [name, tensor] of dict) expect(dump[name], name).toEqual(dumpOf(tensor));
}

/** Every dtype, a scalar, an empty tensor and int64 values beyond 2^53. */
function sampleStateDict(): StateDict {
  return new Map<string, HostTensor>([
    ['conv.weight', { dtype: 'float32', shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => Math.fround(i / 7 - 1)) }],
    ['f64', { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -1e-310, 1e308]) }],
    ['f16', { dtype: 'float16', shape: [2, 2], data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x8001]) }],
    ['bf16', { dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3f80, 0xff7f]) }],
    ['i64', { dtype: 'int64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 0n, 2n ** 62n + 5n]) }],
    ['i32', { dtype: 'int32', shape: [1, 2], data: new Int32Array([-5, 7]) }],
    ['i16', { dtype: 'int16', shape: [2], data: new Int16Array([-32768, 32767]) }],
    ['i8', { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) }],
    ['u8', { dtype: 'uint8', shape: [3], data: new Uint8Array([0, 128, 255]) }],
    ['mask', { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }],
    ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array([42n]) }],
    ['empty', { dtype: 'float32', shape: [2, 0, 3], data: new Float32Array(0) }],
  ]);
}

let work: string;

beforeAll(() => {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `The weights reference tests need PyTorch at ${PYTHON}, which cannot import torch/torchvision ` +
        `(${probe.error?.message ?? probe.stderr.trim()}). Install Debian's python3-torch python3-torchvision ` +
        '(apt-get install python3-torch python3-torchvision) and run npm run test:reference again.',
    );
  }
  work = mkdtempSync(join(tmpdir(), 'weights-reference-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('committed weight fixtures', () => {
  it('are what make_fixtures.py produces with the installed PyTorch', async () => {
    const fresh = join(work, 'fixtures');
    python(fixturePath('make_fixtures.py'), [fresh]);
    expect(loadExpected(fresh)).toEqual(loadExpected(FIXTURE_DIR));
    const plain = (folder: string): unknown => (JSON.parse(readFileSync(join(folder, 'plain_pickles.json'), 'utf8')) as { expected: unknown }).expected;
    expect(plain(fresh)).toEqual(plain(FIXTURE_DIR));
    // The regenerated files (new storage keys in the legacy ones) read the same.
    const committed = loadExpected(FIXTURE_DIR).tensors;
    for (const file of ['state_dict.zip.pth', 'state_dict.legacy.pth', 'state_dict.protocol4.zip.pth', 'nested_module.legacy.pth', 'state_dict.safetensors']) {
      expectStateDictToMatch(await readCheckpoint(join(fresh, file), { layout: 'any' }), committed);
    }
  });
});

describe('PyTorch reads what we write', () => {
  it('torch.load(weights_only=True) accepts serializeTorchZip output, every value equal', () => {
    const dict = sampleStateDict();
    const path = join(work, 'sample.pth');
    writeFileSync(path, serializeTorchZip(dict));
    const code = `${DUMP_TENSORS}
import sys, collections
loaded = torch.load(sys.argv[1], weights_only=True)
assert type(loaded) is collections.OrderedDict, type(loaded)
assert all(t.is_contiguous() and not t.requires_grad for t in loaded.values())
plain = torch.load(sys.argv[1])
assert all(torch.equal(plain[k], loaded[k]) for k in loaded)
dump(loaded)`;
    expectDumpToMatch(JSON.parse(python(code, [path])) as Record<string, DumpedTensor>, dict);
  });

  it('an independent struct+json reader reads serializeSafetensors output, with metadata', () => {
    const dict = sampleStateDict();
    const path = join(work, 'sample.safetensors');
    const metadata = { format: 'pt', classes: '["ant","bee"]' };
    writeFileSync(path, serializeSafetensors(dict, metadata));
    const code = `${DUMP_TENSORS}${READ_SAFETENSORS}
tensors, metadata = read_safetensors(sys.argv[1])
assert metadata == json.loads(sys.argv[2]), metadata
dump(tensors)`;
    expectDumpToMatch(JSON.parse(python(code, [path, JSON.stringify(metadata)])) as Record<string, DumpedTensor>, dict);
  });

  it('a torchvision ResNet-18 state dict survives torch.save -> our reader -> our writers -> PyTorch', async () => {
    const saved = { zip: join(work, 'resnet18.zip.pth'), legacy: join(work, 'resnet18.legacy.pth') };
    python(
      `import sys, torch, torchvision
torch.manual_seed(0)
sd = torchvision.models.resnet18(num_classes=10).state_dict()
torch.save(sd, sys.argv[1])
torch.save(sd, sys.argv[2], _use_new_zipfile_serialization=False)`,
      [saved.zip, saved.legacy],
    );
    const fromZip = await readCheckpoint(saved.zip);
    const fromLegacy = await readCheckpoint(saved.legacy);
    expect(fromZip.size).toBe(122);
    const ours = { pth: join(work, 'ours.pth'), safetensors: join(work, 'ours.safetensors') };
    writeFileSync(ours.pth, serializeTorchZip(fromZip));
    writeFileSync(ours.safetensors, serializeSafetensors(fromLegacy));
    const report = python(
      `import json, sys, torch, torchvision${READ_SAFETENSORS}
original = torch.load(sys.argv[1])
model = torchvision.models.resnet18(num_classes=10)
ours = torch.load(sys.argv[2], weights_only=True)
model.load_state_dict(ours, strict=True)
from_safetensors, _ = read_safetensors(sys.argv[3])
bad = [k for k in original if not (torch.equal(ours[k], original[k]) and torch.equal(from_safetensors[k], original[k])
                                   and ours[k].dtype == original[k].dtype == from_safetensors[k].dtype)]
print(json.dumps({'keys': len(original), 'mismatched': bad}))`,
      [saved.zip, ours.pth, ours.safetensors],
    );
    expect(JSON.parse(report)).toEqual({ keys: 122, mismatched: [] });
  });
});
