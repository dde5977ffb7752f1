/**
 * Generators of hostile checkpoint files, each a few KB or MB on disk, shaped after what an attack
 * pass found to exhaust memory or CPU. Written from scratch (pickle opcodes, zip records) so each
 * file is exactly the attack and nothing else.
 */
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { PickleWriter } from '../../../src-main/node/weights/pickle';
import { crc32 } from '../../../src-main/node/weights/zipArchive';

export interface TensorSpec {
  name: string;
  /** Storage key (the zip record under data/). */
  key: string;
  /** Elements the storage declares. */
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
}

/** data.pkl of an OrderedDict of float32 tensors, as torch.save writes it (protocol 2). */
export function stateDictPickle(tensors: readonly TensorSpec[]): Uint8Array {
  const w = new PickleWriter().protocol(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const t of tensors) {
    w.string(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().string('storage').global('torch', 'FloatStorage').string(t.key).string('cpu').int(t.numel).tuple().persistentId();
    w.int(t.offset ?? 0).intTuple(t.size).intTuple(t.stride).bool(false);
    w.global('collections', 'OrderedDict').emptyTuple().reduce();
    w.tuple().reduce();
  }
  return w.setItems().stop().bytes();
}

interface ZipRecord {
  name: string;
  /** The bytes as stored in the archive (raw deflate data when `deflated`). */
  stored: Uint8Array;
  /** Uncompressed size the directory declares. */
  size: number;
  deflated: boolean;
  crc: number;
}

export function storedRecord(name: string, data: Uint8Array): ZipRecord {
  return { name, stored: data, size: data.length, deflated: false, crc: crc32(data) };
}

/** A minimal zip writer (no ZIP64): local headers, data, central directory, end record. */
export function writeZip(records: readonly ZipRecord[]): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const r of records) {
    const name = Buffer.from(r.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(r.deflated ? 8 : 0, 8);
    local.writeUInt32LE(r.crc, 14);
    local.writeUInt32LE(r.stored.length, 18);
    local.writeUInt32LE(r.size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, Buffer.from(r.stored));
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(r.deflated ? 8 : 0, 10);
    entry.writeUInt32LE(r.crc, 16);
    entry.writeUInt32LE(r.stored.length, 20);
    entry.writeUInt32LE(r.size, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += 30 + name.length + r.stored.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, directory, end]));
}

/** A zip-format .pth: data.pkl plus one record per storage. */
export function torchZip(pickle: Uint8Array, storages: readonly ZipRecord[]): Uint8Array {
  return writeZip([storedRecord('archive/data.pkl', pickle), storedRecord('archive/byteorder', Buffer.from('little')), ...storages]);
}

/**
 * A deflated record that inflates to `blocks` × 16 MiB of zeros from ~16 KB per block: the same
 * fully flushed (byte-aligned, history-free) deflate block repeated, then an empty final block.
 */
export function zeroBombRecord(name: string, blocks: number): ZipRecord {
  const blockBytes = 16 * 1024 * 1024;
  const block = deflateRawSync(Buffer.alloc(blockBytes), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
  const final = deflateRawSync(Buffer.alloc(0));
  const stored = Buffer.concat([...Array.from({ length: blocks }, () => block), final]);
  return { name, stored: new Uint8Array(stored), size: blocks * blockBytes, deflated: true, crc: 0 };
}

/** A 1 KB .pth whose tensor has stride 0: 900 million elements over a storage of one. */
export function strideZeroCheckpoint(): Uint8Array {
  const pickle = stateDictPickle([{ name: 'conv1.weight', key: '0', numel: 1, size: [900_000_000], stride: [0] }]);
  return torchZip(pickle, [storedRecord('archive/data/0', new Uint8Array(4))]);
}

/** Two dimensions that overlap (stride [50, 1] over rows of 100): half the elements read twice. */
export function overlappingCheckpoint(): Uint8Array {
  const pickle = stateDictPickle([{ name: 'extra', key: '0', numel: 200, size: [2, 100], stride: [50, 1] }]);
  return torchZip(pickle, [storedRecord('archive/data/0', new Uint8Array(800))]);
}

/** ~1.8 MB on disk, a storage that declares 1.76 GB of float32 inflated from zeros, viewed whole. */
export function zipBombCheckpoint(): Uint8Array {
  const blocks = 105; // 105 × 16 MiB = 1.76 GB
  const numel = (blocks * 16 * 1024 * 1024) / 4;
  const pickle = stateDictPickle([{ name: 'extra', key: '0', numel, size: [numel], stride: [1] }]);
  return torchZip(pickle, [zeroBombRecord('archive/data/0', blocks)]);
}

/**
 * The same bomb under a real ResNet name and shape (fc of 32 768 classes × 2048: 268 MB): it passes
 * the layout check, so only the archive's inflation cap stands between it and the memory.
 */
export function zipBombResNetHead(): Uint8Array {
  const numel = 32_768 * 2048;
  const pickle = stateDictPickle([{ name: 'fc.weight', key: '0', numel, size: [32_768, 2048], stride: [2048, 1] }]);
  return torchZip(pickle, [zeroBombRecord('archive/data/0', (numel * 4) / (16 * 1024 * 1024))]);
}

/** A pickle with a LONG4 integer of `bytes` bytes (the old reader took minutes for 1 MB). */
export function hugeIntegerCheckpoint(bytes = 1024 * 1024): Uint8Array {
  const header = Buffer.from([0x80, 0x02, 0x8b, 0, 0, 0, 0]);
  header.writeInt32LE(bytes, 3);
  const pickle = Buffer.concat([header, Buffer.alloc(bytes, 0x7f), Buffer.from([0x2e])]);
  return torchZip(new Uint8Array(pickle), []);
}

/** A list built by one APPENDS of `items` items (the old reader spread them into push: stack overflow). */
export function hugeAppendsCheckpoint(items = 500_000): Uint8Array {
  const body = Buffer.alloc(items, 0x4e); // NONE
  const pickle = Buffer.concat([Buffer.from([0x80, 0x02, 0x5d, 0x28]), body, Buffer.from([0x65, 0x2e])]); // EMPTY_LIST MARK ... APPENDS STOP
  return torchZip(new Uint8Array(pickle), []);
}

/**
 * Work amplification: a 200 000-item list memoised once, then copied by builtins.set 1 000 times
 * (200 million copies from a 200 KB file).
 */
export function setAmplificationCheckpoint(items = 200_000, copies = 1_000): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x80, 0x02, 0x5d, 0x28]), Buffer.alloc(items, 0x4e), Buffer.from([0x65, 0x71, 0x00, 0x30])]; // list; BINPUT 0; POP
  parts.push(Buffer.from([0x5d, 0x28])); // the result list, MARK
  const call = Buffer.concat([Buffer.from('cbuiltins\nset\n', 'latin1'), Buffer.from([0x68, 0x00, 0x85, 0x52])]); // GLOBAL; BINGET 0; TUPLE1; REDUCE
  for (let i = 0; i < copies; i++) parts.push(call);
  parts.push(Buffer.from([0x65, 0x2e])); // APPENDS STOP
  return torchZip(new Uint8Array(Buffer.concat(parts)), []);
}
