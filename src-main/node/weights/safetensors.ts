/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header mapping tensor names to {dtype, shape, data_offsets} plus an optional `__metadata__`
 * string map, then the tensors' little-endian bytes. Offsets are relative to the end of the header
 * and must tile the data exactly: no gaps, no overlaps. Nothing executes on load, by design.
 */
import { WorkbenchError } from '../../common/errors';
import type { StateDict, TensorDType } from './stateDict';
import { DTYPE_ELEMENT_BYTES, elementCount, formatShape, tensorDataBytes, tensorDataFromBytes } from './stateDict';

const DTYPE_BY_CODE: Readonly<Record<string, TensorDType>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

const CODE_BY_DTYPE: Readonly<Record<TensorDType, string>> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

const METADATA_KEY = '__metadata__';
/** The reference implementation refuses headers above 100 MB; so do we, before parsing JSON. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsContents {
  tensors: StateDict;
  /** The `__metadata__` string map; {} when absent. */
  metadata: Record<string, string>;
}

export interface SafetensorsOptions {
  /** Names the file in error messages. Default: 'the safetensors file'. */
  label?: string;
}

function corrupt(label: string, what: string): WorkbenchError {
  return new WorkbenchError('CHECKPOINT_CORRUPT', `${label} is not a valid safetensors file: ${what}.`);
}

function headerLength(bytes: Uint8Array): bigint | undefined {
  if (bytes.length < 8) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

/** True when `bytes` plausibly starts with a safetensors header (length in range, then '{'). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  const length = headerLength(bytes);
  return length !== undefined && length >= 2n && length <= BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8)) && bytes[8] === 0x7b;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

interface HeaderEntry {
  name: string;
  dtype: TensorDType;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeaderEntry(name: string, value: unknown, label: string): HeaderEntry {
  if (!isPlainObject(value)) throw corrupt(label, `the header entry for '${name}' is not an object`);
  const { dtype: code, shape, data_offsets: offsets } = value;
  const dtype = typeof code === 'string' ? DTYPE_BY_CODE[code] : undefined;
  if (!dtype) {
    throw corrupt(label, `tensor '${name}' has dtype ${JSON.stringify(code)}; supported: ${Object.keys(DTYPE_BY_CODE).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) throw corrupt(label, `tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw corrupt(label, `tensor '${name}' has bad data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape) * DTYPE_ELEMENT_BYTES[dtype];
  if (end < begin || end - begin !== expected) {
    throw corrupt(label, `tensor '${name}' (${code}, shape ${formatShape(shape)}) needs ${expected} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`);
  }
  return { name, dtype, shape, begin, end };
}

function parseMetadata(value: unknown, label: string): Record<string, string> {
  if (!isPlainObject(value)) throw corrupt(label, `${METADATA_KEY} is not an object`);
  const metadata: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw corrupt(label, `${METADATA_KEY} value '${key}' is not a string`);
    metadata[key] = text;
  }
  return metadata;
}

/**
 * Reads a safetensors file. Offsets, sizes and dtypes are validated strictly (CHECKPOINT_CORRUPT
 * naming the problem). Tensor data are views into `bytes` where aligned: treat them as read-only.
 */
export function parseSafetensors(bytes: Uint8Array, options: SafetensorsOptions = {}): SafetensorsContents {
  const label = options.label ?? 'the safetensors file';
  const length = headerLength(bytes);
  if (length === undefined) throw corrupt(label, `it is only ${bytes.length} bytes long, shorter than the 8-byte header length`);
  if (length > BigInt(MAX_HEADER_BYTES)) throw corrupt(label, `its header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + Number(length);
  if (dataStart > bytes.length) throw corrupt(label, `its header needs ${length} bytes but the file has only ${bytes.length - 8} after the length (truncated?)`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw corrupt(label, `its header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isPlainObject(header)) throw corrupt(label, 'its header is not a JSON object');

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, label);
    else entries.push(parseHeaderEntry(name, value, label));
  }

  // The data must be covered exactly once: sorted by offset, each tensor starts where the last ended.
  const dataLength = bytes.length - dataStart;
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const entry of byOffset) {
    if (entry.begin !== expectedBegin) {
      throw corrupt(label, `tensor '${entry.name}' starts at data offset ${entry.begin}, expected ${expectedBegin} (${entry.begin < expectedBegin ? 'overlap' : 'gap'})`);
    }
    expectedBegin = entry.end;
  }
  if (expectedBegin !== dataLength) {
    throw corrupt(label, expectedBegin > dataLength
      ? `its tensors need ${expectedBegin} bytes of data but the file has ${dataLength} (truncated?)`
      : `${dataLength - expectedBegin} bytes of data after the last tensor belong to no tensor`);
  }

  const data = bytes.subarray(dataStart);
  const tensors: StateDict = new Map();
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors.set(name, { dtype, shape, data: tensorDataFromBytes(dtype, data.subarray(begin, end), elementCount(shape)) });
  }
  return { tensors, metadata };
}

/**
 * A safetensors file holding `dict` and `metadata`. Tensors are laid out by decreasing element size
 * (then in dict order) so every tensor's data is aligned for its type, as the reference writer does;
 * the header is padded with spaces to a multiple of 8 bytes.
 */
export function serializeSafetensors(dict: StateDict, metadata?: Record<string, string>): Uint8Array {
  const entries = [...dict.entries()];
  for (const [name, tensor] of entries) {
    if (name === METADATA_KEY) throw new WorkbenchError('BAD_INPUT', `'${METADATA_KEY}' cannot be a tensor name in a safetensors file.`);
    const expected = elementCount(tensor.shape) * DTYPE_ELEMENT_BYTES[tensor.dtype];
    if (tensor.data.byteLength !== expected) {
      throw new WorkbenchError('BAD_INPUT', `Tensor '${name}' (${tensor.dtype}, shape ${formatShape(tensor.shape)}) needs ${expected} bytes of data but has ${tensor.data.byteLength}.`);
    }
  }
  const layout = entries
    .map((entry, order) => ({ entry, order }))
    .sort((a, b) => DTYPE_ELEMENT_BYTES[b.entry[1].dtype] - DTYPE_ELEMENT_BYTES[a.entry[1].dtype] || a.order - b.order)
    .map(({ entry }) => entry);

  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const [name, tensor] of layout) {
    const size = tensor.data.byteLength;
    header[name] = { dtype: CODE_BY_DTYPE[tensor.dtype], shape: tensor.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const paddedLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + paddedLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(paddedLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + paddedLength);
  let at = 8 + paddedLength;
  for (const [, tensor] of layout) {
    out.set(tensorDataBytes(tensor.data), at);
    at += tensor.data.byteLength;
  }
  return out;
}
