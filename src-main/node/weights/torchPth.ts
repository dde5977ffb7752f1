/**
 * PyTorch `.pth` checkpoints, read in both formats torch.save has written — the zip format
 * (PyTorch >= 1.6: `<archive>/data.pkl` plus one record per storage under `<archive>/data/`) and the
 * legacy format (a sequence of pickles followed by the raw storages) — and written in the zip format
 * exactly as PyTorch lays it out, so `torch.load` (also with weights_only=True) accepts our files.
 * The format is defined by torch/serialization.py (_save, _load, _legacy_save, _legacy_load) and
 * torch/_utils.py (_rebuild_tensor_v2).
 *
 * Reading is fail-fast on hostile files: every tensor's view is checked before any data is touched
 * (its elements fit its storage, no stride 0 or overlapping dimensions that would turn a 1 KB file into
 * gigabytes), with the 'torchvision-resnet' layout its names, dtypes and shapes must be ones a
 * torchvision ResNet has, and storages are read (inflated) only after that, only as far as needed.
 */
import { zipSync } from 'fflate';
import { WorkbenchError } from '../../common/errors';
import { RESNET_DEPTHS, featureChannels, torchvisionStateDictLayout } from '../../common/resnetSpec';
import type { PickleDict, PickleValue } from './pickle';
import { PickleWriter, TorchStorage, TorchStorageType, TorchTensorRef, unpickle, unpickleAt } from './pickle';
import type { HostTensor, HostTensorData, StateDict, TensorDType } from './stateDict';
import { DTYPE_ELEMENT_BYTES, elementCount, formatShape, tensorDataBytes, tensorDataFromBytes } from './stateDict';
import { ZipArchive, isZip } from './zipArchive';

/** The first pickle of a legacy-format file (torch.serialization.MAGIC_NUMBER). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** The second pickle of a legacy-format file (torch.serialization.PROTOCOL_VERSION). */
const LEGACY_PROTOCOL_VERSION = 1001;
/** PyTorch aligns every zip record's data to this many bytes so storages can be mapped in place. */
const RECORD_ALIGNMENT = 64;
/** Keys under which training scripts commonly nest the model's state dict, in order of preference. */
const NESTED_STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model'];
/** nn.DataParallel and DistributedDataParallel prefix every key with this. */
const DATA_PARALLEL_PREFIX = 'module.';

const STORAGE_CLASS_BY_DTYPE: Readonly<Record<TensorDType, string>> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  int16: 'ShortStorage',
  int8: 'CharStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};

/**
 * 'torchvision-resnet': names a torchvision ResNet has must have one of its shapes and a float dtype
 * (counters an integer one), `fc` at most MAX_HEAD_CLASSES rows, other tensors MAX_EXTRA_TENSOR_BYTES
 * in all. 'any': any names and shapes up to MAX_TENSOR_BYTES in all (tools and tests).
 */
export type CheckpointLayout = 'torchvision-resnet' | 'any';

/** Rows of a classifier head accepted in a checkpoint (ImageNet-21k has 21 843 classes). */
export const MAX_HEAD_CLASSES = 32_768;
/** Bytes of tensors outside the ResNet layout accepted with 'torchvision-resnet'. */
export const MAX_EXTRA_TENSOR_BYTES = 64 * 1024 * 1024;
/** Bytes of all tensors of one checkpoint: above a ResNet-152 in float64 with a large head. */
export const MAX_TENSOR_BYTES = 1024 * 1024 * 1024;
/** The pickle of a zip checkpoint is ~50 KB for a ResNet-152. */
const MAX_DATA_PKL_BYTES = 64 * 1024 * 1024;

export interface TorchCheckpointOptions {
  /** Names the file in error messages. Default: 'the checkpoint'. */
  label?: string;
  /** What the tensors must look like before any is read. Default 'any'. */
  layout?: CheckpointLayout;
}

function corrupt(label: string, what: string): WorkbenchError {
  return new WorkbenchError('CHECKPOINT_CORRUPT', `${label} is corrupt: ${what}.`);
}

/** The oldest torch.save format was a tar archive ('ustar' at byte 257). */
function isTar(bytes: Uint8Array): boolean {
  return bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar';
}

/** True for anything torch.save wrote: zip, legacy or the old tar format (which is then refused clearly). */
export function looksLikeTorchCheckpoint(bytes: Uint8Array): boolean {
  return isZip(bytes) || isLegacyTorchCheckpoint(bytes) || isTar(bytes);
}

/** True when `bytes` starts with the legacy format's pickled magic number. */
export function isLegacyTorchCheckpoint(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x80) return false; // torch.save always writes a PROTO opcode first
  try {
    return unpickleAt(bytes.subarray(0, 64), 0).value === LEGACY_MAGIC;
  } catch {
    return false;
  }
}

/** The storage a persistent id names: ('storage', StorageType, key, location, numel[, view]). */
function parseStoragePid(pid: PickleValue, label: string): { dtype: TensorDType; key: string; numel: number; view: PickleValue } {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw corrupt(label, 'a persistent id does not describe a storage');
  const [, type, key, , numel, view = null] = pid;
  if (!(type instanceof TorchStorageType)) throw corrupt(label, 'a storage has no storage type');
  if (typeof key !== 'string' && typeof key !== 'number') throw corrupt(label, 'a storage has no key');
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw corrupt(label, `storage '${key}' has a bad size`);
  // UntypedStorage counts bytes; typed storages count elements.
  return { dtype: type.dtype, key: String(key), numel, view };
}

function readZipObject(bytes: Uint8Array, label: string): PickleValue {
  const archive = new ZipArchive(bytes, label);
  const pickles = [...archive.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw corrupt(label, pickles.length ? 'it holds more than one data.pkl' : "it is a zip archive without '<archive>/data.pkl', so not a torch.save file");
  }
  const prefix = (pickles[0] as string).slice(0, -'data.pkl'.length);
  if (archive.entries.has(`${prefix}constants.pkl`) || [...archive.entries.keys()].some((n) => n.startsWith(`${prefix}code/`))) {
    throw new WorkbenchError(
      'BAD_INPUT',
      `${label} is a TorchScript model (torch.jit.save), not a weights file. Save the weights with torch.save(model.state_dict(), path).`,
    );
  }
  const byteorder = archive.entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(archive.read(byteorder)).trim();
    if (order !== 'little') throw new WorkbenchError('BAD_INPUT', `${label} was written on a '${order}'-endian machine; only little-endian checkpoints are supported.`);
  }
  const pickleEntry = archive.entries.get(pickles[0] as string);
  if (!pickleEntry) throw corrupt(label, 'data.pkl vanished');
  const pickle = archive.read(pickleEntry, MAX_DATA_PKL_BYTES);
  archive.verify(pickleEntry, pickle);

  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    const { dtype, key, numel } = parseStoragePid(pid, label);
    const known = storages.get(key);
    if (known) return known;
    const record = archive.entries.get(`${prefix}data/${key}`);
    if (!record) throw corrupt(label, `the data of storage '${key}' (record '${prefix}data/${key}') is missing`);
    const storage = new TorchStorage(key, dtype, numel);
    if (record.size < storage.byteLength) {
      throw corrupt(label, `storage '${key}' holds ${record.size} bytes, but ${numel} ${dtype} values need ${storage.byteLength}`);
    }
    // Read only once its tensors have passed every check, and only as far as they reach.
    storage.attachLoader((byteLength) => archive.readPrefix(record, byteLength));
    storages.set(key, storage);
    return storage;
  };
  return unpickle(pickle, { persistentLoad, source: `'${prefix}data.pkl' in ${label}` });
}

function readLegacyObject(bytes: Uint8Array, label: string): PickleValue {
  const source = label;
  let at = 0;
  const next = (what: string, persistentLoad?: (pid: PickleValue) => PickleValue): PickleValue => {
    if (at >= bytes.length) throw corrupt(label, `it ends before the ${what} (truncated file?)`);
    const result = unpickleAt(bytes, at, { source, persistentLoad });
    at = result.end;
    return result.value;
  };
  if (next('magic number') !== LEGACY_MAGIC) throw corrupt(label, 'the legacy magic number is wrong');
  const version = next('protocol version');
  if (version !== LEGACY_PROTOCOL_VERSION) throw corrupt(label, `legacy protocol version ${String(version)} is not ${LEGACY_PROTOCOL_VERSION}`);
  const sysInfo = next('system information');
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false) {
    throw new WorkbenchError('BAD_INPUT', `${label} was written on a big-endian machine; only little-endian checkpoints are supported.`);
  }

  const roots = new Map<string, TorchStorage>();
  const views = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    const { dtype, key, numel, view } = parseStoragePid(pid, label);
    let root = roots.get(key);
    if (!root) {
      root = new TorchStorage(key, dtype, numel);
      roots.set(key, root);
    }
    if (view === null) return root;
    // Pre-1.0 files could pickle views of a storage: (view_key, element offset, view size).
    if (!Array.isArray(view) || view.length !== 3) throw corrupt(label, `storage '${key}' has a bad view description`);
    const [viewKey, offset, size] = view;
    if (typeof offset !== 'number' || typeof size !== 'number' || offset < 0 || size < 0 || offset + size > numel) {
      throw corrupt(label, `a view of storage '${key}' lies outside it`);
    }
    const name = String(viewKey);
    let storage = views.get(name);
    if (!storage) {
      storage = new TorchStorage(name, dtype, size, { root, elementOffset: offset });
      views.set(name, storage);
    }
    return storage;
  };
  const object = next('pickled object', persistentLoad);
  const keys = next('list of storage keys');
  if (!Array.isArray(keys)) throw corrupt(label, 'the list of storage keys is not a list');
  for (const rawKey of keys) {
    const key = String(rawKey);
    const storage = roots.get(key);
    if (!storage) throw corrupt(label, `the file stores data for storage '${key}', which no tensor uses`);
    if (at + 8 > bytes.length) throw corrupt(label, `it ends before the data of storage '${key}' (truncated file?)`);
    const count = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigInt64(0, true);
    at += 8;
    if (count !== BigInt(storage.numel)) throw corrupt(label, `storage '${key}' should hold ${storage.numel} values but its header says ${count}`);
    const end = at + storage.byteLength;
    if (end > bytes.length) {
      throw corrupt(label, `the data of storage '${key}' ends at byte ${end}, beyond the end of the file (${bytes.length} bytes; truncated?)`);
    }
    storage.attach(bytes.subarray(at, end));
    at = end;
  }
  for (const storage of roots.values()) {
    if (!storage.isLoaded()) throw corrupt(label, `the data of storage '${storage.key}' is missing`);
  }
  return object;
}

/** True when the non-empty dims of a (size, stride) pair are row-major contiguous. */
function isRowMajor(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    const extent = size[i] as number;
    if (extent !== 1 && stride[i] !== expected) return false;
    expected *= extent;
  }
  return true;
}

/** Copies a strided view into a new row-major buffer, element by element. */
function gatherStrided(source: Uint8Array, elementBytes: number, offset: number, size: readonly number[], stride: readonly number[]): Uint8Array {
  const count = elementCount(size);
  const out = new Uint8Array(count * elementBytes);
  const aligned = source.byteOffset % 4 === 0 ? source : new Uint8Array(source);
  // Copy in 1, 2 or 4-byte words; 8-byte elements are two 4-byte words (a Float64Array copy could
  // canonicalise NaN payloads of reinterpreted int64 bits).
  const wordBytes = Math.min(elementBytes, 4);
  const wordsPerElement = elementBytes / wordBytes;
  const Words = wordBytes === 1 ? Uint8Array : wordBytes === 2 ? Uint16Array : Uint32Array;
  const from = new Words(aligned.buffer as ArrayBuffer, aligned.byteOffset, Math.floor(aligned.byteLength / wordBytes));
  const to = new Words(out.buffer, 0, count * wordsPerElement);
  const rank = size.length;
  const index = new Array<number>(rank).fill(0);
  let position = offset;
  for (let n = 0; n < count; n++) {
    const src = position * wordsPerElement;
    for (let w = 0; w < wordsPerElement; w++) to[n * wordsPerElement + w] = from[src + w] as number;
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      position += stride[d] as number;
      if ((index[d] as number) < (size[d] as number)) break;
      position -= (size[d] as number) * (stride[d] as number);
      index[d] = 0;
    }
  }
  return out;
}

/**
 * The number of storage elements a view reaches (from the storage's start), after checking that it
 * stays inside its storage and that no two of its elements share storage: a stride of 0 or
 * overlapping dimensions would let a tiny storage stand for an arbitrarily large tensor.
 */
function checkedReach(name: string, ref: TorchTensorRef, label: string): number {
  const { storage, storageOffset, size, stride } = ref;
  if (size.includes(0)) return 0;
  let count = 1;
  for (const extent of size) {
    count *= extent;
    if (count > storage.numel) {
      throw corrupt(label, `tensor '${name}' (shape ${formatShape(size)}) has more elements than its storage of ${storage.numel} values`);
    }
  }
  const dims = size.map((extent, d) => ({ extent, stride: stride[d] as number })).filter((d) => d.extent > 1);
  dims.sort((a, b) => a.stride - b.stride);
  let reach = 0;
  for (const { extent, stride: step } of dims) {
    if (step <= reach) {
      throw corrupt(label, `tensor '${name}' (shape ${formatShape(size)}, stride ${formatShape(stride)}) has overlapping elements (a stride of 0 or overlapping dimensions), which torch.save never writes for a state dict`);
    }
    reach += (extent - 1) * step;
  }
  if (storageOffset + reach >= storage.numel) {
    throw corrupt(label, `tensor '${name}' (shape ${formatShape(size)}, offset ${storageOffset}) reads past the end of its storage of ${storage.numel} values`);
  }
  return storageOffset + reach + 1;
}

const FLOAT_DTYPES = new Set<TensorDType>(['float32', 'float64', 'float16', 'bfloat16']);
const INTEGER_DTYPES = new Set<TensorDType>(['int64', 'int32', 'int16', 'int8', 'uint8']);
const COUNTER_SUFFIX = '.num_batches_tracked';

let resnetShapes: Map<string, Set<string>> | undefined;

/** Every parameter name of a torchvision ResNet (any depth, fc aside) with the shapes it has. */
function knownResNetShapes(): Map<string, Set<string>> {
  if (!resnetShapes) {
    resnetShapes = new Map();
    for (const depth of RESNET_DEPTHS) {
      for (const { key, shape } of torchvisionStateDictLayout(depth, 1)) {
        if (key.startsWith('fc.')) continue;
        let shapes = resnetShapes.get(key);
        if (!shapes) resnetShapes.set(key, (shapes = new Set()));
        shapes.add(formatShape(shape));
      }
    }
  }
  return resnetShapes;
}

function mismatch(label: string, what: string): WorkbenchError {
  return new WorkbenchError('CHECKPOINT_MISMATCH', `${label} is not a torchvision ResNet checkpoint: ${what}. Nothing was loaded.`);
}

/** Whether a tensor's name, dtype and shape are ones a torchvision ResNet has; throws if not. */
function checkResNetTensor(name: string, ref: TorchTensorRef, label: string): boolean {
  const { size } = ref;
  const dtype = ref.storage.dtype;
  const features = new Set(RESNET_DEPTHS.map((d) => featureChannels(d)));
  if (name === 'fc.weight' || name === 'fc.bias') {
    const rows = size[0] ?? 0;
    const fits = name === 'fc.weight' ? size.length === 2 && features.has(size[1] as number) : size.length === 1;
    if (!fits || rows < 1 || rows > MAX_HEAD_CLASSES) {
      throw mismatch(label, `${name} has shape ${formatShape(size)}; a ResNet's is ${name === 'fc.weight' ? '[classes, 512 or 2048]' : '[classes]'} with 1 to ${MAX_HEAD_CLASSES} classes`);
    }
  } else {
    const shapes = knownResNetShapes().get(name);
    if (!shapes) return false;
    if (!shapes.has(formatShape(size))) {
      throw mismatch(label, `${name} has shape ${formatShape(size)}; a torchvision ResNet's is ${[...shapes].join(' or ')}`);
    }
  }
  const counter = name.endsWith(COUNTER_SUFFIX);
  if (counter ? !INTEGER_DTYPES.has(dtype) : !FLOAT_DTYPES.has(dtype)) {
    throw mismatch(label, `${name} holds ${dtype} values; a torchvision ResNet's are ${counter ? 'integers' : 'floating point'}`);
  }
  return true;
}

/**
 * Checks every tensor before any is read: views (checkedReach), the layout, and the bytes in total.
 * Returns how many storage elements each tensor reaches, in order.
 */
function checkTensorRefs(entries: readonly [string, TorchTensorRef][], layout: CheckpointLayout, label: string): number[] {
  let total = 0;
  let extra = 0;
  const reaches: number[] = [];
  for (const [name, ref] of entries) {
    reaches.push(checkedReach(name, ref, label));
    const bytes = elementCount(ref.size) * DTYPE_ELEMENT_BYTES[ref.storage.dtype];
    total += bytes;
    if (total > MAX_TENSOR_BYTES) throw corrupt(label, `its tensors hold more than ${MAX_TENSOR_BYTES} bytes, beyond any ResNet checkpoint`);
    if (layout === 'torchvision-resnet' && !checkResNetTensor(name, ref, label)) {
      extra += bytes;
      if (extra > MAX_EXTRA_TENSOR_BYTES) {
        throw mismatch(label, `its tensors outside the ResNet layout (e.g. '${name}') hold more than ${MAX_EXTRA_TENSOR_BYTES} bytes`);
      }
    }
  }
  return reaches;
}

/** A checked view's data, reading its storage only as far as `reach` elements. */
function materialize(ref: TorchTensorRef, reach: number): HostTensor {
  const { storage, storageOffset, size, stride } = ref;
  const dtype = storage.dtype;
  const count = elementCount(size);
  const shape = [...size];
  if (count === 0) return { dtype, shape, data: tensorDataFromBytes(dtype, new Uint8Array(0), 0) };
  const elementBytes = DTYPE_ELEMENT_BYTES[dtype];
  const bytes = storage.data(reach * elementBytes);
  let data: HostTensorData;
  if (isRowMajor(size, stride)) {
    data = tensorDataFromBytes(dtype, bytes.subarray(storageOffset * elementBytes), count);
  } else {
    data = tensorDataFromBytes(dtype, gatherStrided(bytes, elementBytes, storageOffset, size, stride), count);
  }
  return { dtype, shape, data };
}

function tensorEntries(dict: PickleDict): [string, TorchTensorRef][] {
  const entries: [string, TorchTensorRef][] = [];
  for (const [key, value] of dict) {
    if (typeof key === 'string' && value instanceof TorchTensorRef) entries.push([key, value]);
  }
  return entries;
}

function describeRoot(value: PickleValue): string {
  if (value instanceof TorchTensorRef) return 'a single tensor';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'None';
  return `a ${typeof value}`;
}

/** The tensors of the state dict inside a loaded object: unwraps common training-script containers. */
function selectTensors(root: PickleValue, label: string): [string, TorchTensorRef][] {
  if (!(root instanceof Map)) {
    throw new WorkbenchError('BAD_INPUT', `${label} holds ${describeRoot(root)}, not a state dict (a dict of parameter names to tensors).`);
  }
  let entries = tensorEntries(root);
  if (entries.length === 0) {
    for (const key of NESTED_STATE_DICT_KEYS) {
      const nested = root.get(key);
      if (nested instanceof Map && tensorEntries(nested).length > 0) {
        entries = tensorEntries(nested);
        break;
      }
    }
  }
  if (entries.length > 0 && entries.every(([key]) => key.startsWith(DATA_PARALLEL_PREFIX))) {
    entries = entries.map(([key, ref]) => [key.slice(DATA_PARALLEL_PREFIX.length), ref]);
  }
  return entries;
}

/**
 * The state dict in a `.pth` file of either format. Unwraps {'state_dict': ...}, {'model': ...}
 * and {'model_state_dict': ...} containers, strips a DataParallel 'module.' prefix (when every key
 * has it) and drops entries that are not tensors. Tensor data may be views into `bytes`: treat them
 * as read-only. Throws CHECKPOINT_CORRUPT, CHECKPOINT_UNSAFE or BAD_INPUT.
 */
export function parseTorchCheckpoint(bytes: Uint8Array, options: TorchCheckpointOptions = {}): StateDict {
  const label = options.label ?? 'the checkpoint';
  let root: PickleValue;
  if (isZip(bytes)) root = readZipObject(bytes, label);
  else if (isLegacyTorchCheckpoint(bytes)) root = readLegacyObject(bytes, label);
  else if (isTar(bytes)) {
    throw new WorkbenchError('BAD_INPUT', `${label} is a tar-format checkpoint from PyTorch before 0.1.10, which is not supported; load it with PyTorch and save it again.`);
  } else throw new WorkbenchError('CHECKPOINT_CORRUPT', `${label} is not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save file).`);
  const entries = selectTensors(root, label);
  const reaches = checkTensorRefs(entries, options.layout ?? 'any', label);
  const dict: StateDict = new Map();
  entries.forEach(([name, ref], i) => dict.set(name, materialize(ref, reaches[i] as number)));
  return dict;
}

/** Row-major strides as PyTorch computes them (empty dims count as 1). */
function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= Math.max(shape[i] as number, 1);
  }
  return strides;
}

function checkTensor(name: string, tensor: HostTensor): void {
  const expected = elementCount(tensor.shape) * DTYPE_ELEMENT_BYTES[tensor.dtype];
  if (tensor.data.byteLength !== expected) {
    throw new WorkbenchError('BAD_INPUT', `Tensor '${name}' (${tensor.dtype}, shape ${formatShape(tensor.shape)}) needs ${expected} bytes of data but has ${tensor.data.byteLength}.`);
  }
}

/** The data.pkl of a state dict: an OrderedDict of _rebuild_tensor_v2 calls, one storage each. */
function pickleStateDict(entries: readonly [string, HostTensor][]): Uint8Array {
  const w = new PickleWriter().protocol(2).global('collections', 'OrderedDict').emptyTuple().reduce();
  if (entries.length) w.mark();
  entries.forEach(([name, tensor], index) => {
    w.string(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().string('storage').global('torch', STORAGE_CLASS_BY_DTYPE[tensor.dtype]).string(String(index)).string('cpu');
    w.int(elementCount(tensor.shape)).tuple().persistentId();
    w.int(0).intTuple(tensor.shape).intTuple(contiguousStrides(tensor.shape)).bool(false);
    w.global('collections', 'OrderedDict').emptyTuple().reduce(); // backward hooks
    w.tuple().reduce();
  });
  if (entries.length) w.setItems();
  return w.stop().bytes();
}

export interface TorchZipOptions {
  /** The archive's top folder inside the zip (PyTorch uses the file's stem). Default: 'archive'. */
  archiveName?: string;
}

/**
 * A zip-format `.pth` holding `dict` as an OrderedDict of tensors, laid out as PyTorch writes it:
 * stored records whose data starts on 64-byte boundaries (padding in an 'FB' extra field),
 * `<archive>/version` = 3 and `<archive>/byteorder` = little.
 */
export function serializeTorchZip(dict: StateDict, options: TorchZipOptions = {}): Uint8Array {
  const archive = options.archiveName ?? 'archive';
  if (!/^[^/\\]+$/.test(archive)) throw new WorkbenchError('BAD_INPUT', `Archive name '${archive}' must be a single folder name.`);
  const entries = [...dict.entries()];
  entries.forEach(([name, tensor]) => checkTensor(name, tensor));
  const records: [string, Uint8Array][] = [
    [`${archive}/data.pkl`, pickleStateDict(entries)],
    [`${archive}/byteorder`, new TextEncoder().encode('little')],
    ...entries.map(([, tensor], index): [string, Uint8Array] => [`${archive}/data/${index}`, tensorDataBytes(tensor.data)]),
    [`${archive}/version`, new TextEncoder().encode('3\n')],
  ];
  // fflate writes each local header as 30 bytes + name + extra fields (4 + length each) + data, so
  // the padding that puts the data on a 64-byte boundary can be computed up front.
  const files: Record<string, [Uint8Array, { level: 0; mtime: Date; extra: Record<number, Uint8Array> }]> = {};
  const mtime = new Date(1980, 0, 1);
  let offset = 0;
  for (const [name, data] of records) {
    const headerEnd = offset + 30 + new TextEncoder().encode(name).length + 4;
    const padding = (RECORD_ALIGNMENT - (headerEnd % RECORD_ALIGNMENT)) % RECORD_ALIGNMENT;
    files[name] = [data, { level: 0, mtime, extra: { 0x4246: new Uint8Array(padding).fill(0x5a) } }];
    offset = headerEnd + padding + data.length;
  }
  return zipSync(files);
}
