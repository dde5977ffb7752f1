/**
 * A checkpoint held in host memory: torchvision state-dict keys to dense, row-major tensors. Readers
 * (.pth zip, .pth legacy, .safetensors) produce it; writers consume it; the ResNet weight map turns it
 * into tfjs variables. It never holds tfjs tensors, so it needs no disposal.
 */

export type TensorDType =
  | 'float64'
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/** float16 and bfloat16 keep their raw bits in a Uint16Array; bool is a Uint8Array of 0/1. */
export type HostTensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface HostTensor {
  dtype: TensorDType;
  /** Row-major (C order) shape; [] for a scalar. */
  shape: number[];
  data: HostTensorData;
}

export type StateDict = Map<string, HostTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Values as float32, whatever the stored floating or integer dtype (half precision is widened). */
export function toFloat32(tensor: HostTensor): Float32Array {
  const { dtype, data } = tensor;
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  if (dtype === 'float16') {
    for (let i = 0; i < data.length; i++) out[i] = float16ToFloat32(Number(data[i]));
  } else if (dtype === 'bfloat16') {
    const widened = new Uint32Array(out.buffer);
    for (let i = 0; i < data.length; i++) widened[i] = Number(data[i]) << 16;
  } else {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  }
  return out;
}

/** Bytes per element of each dtype, as PyTorch and safetensors store them. */
export const DTYPE_ELEMENT_BYTES: Readonly<Record<TensorDType, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/**
 * `count` elements of `dtype` from little-endian `bytes` (typed arrays use the host's byte order,
 * which is little-endian on every platform Node and Electron ship for). The result is a view into `bytes` when its
 * offset is aligned for the element size (so a 200 MB checkpoint is not copied), a copy otherwise.
 * Callers that keep views must treat the data as read-only: it aliases the file buffer.
 */
export function tensorDataFromBytes(dtype: TensorDType, bytes: Uint8Array, count: number): HostTensorData {
  const size = DTYPE_ELEMENT_BYTES[dtype];
  const byteLength = count * size;
  if (bytes.byteLength < byteLength) {
    throw new RangeError(`need ${byteLength} bytes for ${count} ${dtype} values, have ${bytes.byteLength}`);
  }
  let source = bytes.subarray(0, byteLength);
  // new Uint8Array(view) copies (Buffer.prototype.slice would not).
  if (source.byteOffset % size !== 0) source = new Uint8Array(source);
  const { buffer, byteOffset } = source;
  switch (dtype) {
    case 'float64':
      return new Float64Array(buffer, byteOffset, count);
    case 'float32':
      return new Float32Array(buffer, byteOffset, count);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, count);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, count);
    case 'int32':
      return new Int32Array(buffer, byteOffset, count);
    case 'int16':
      return new Int16Array(buffer, byteOffset, count);
    case 'int8':
      return new Int8Array(buffer, byteOffset, count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, count);
  }
}

/** The raw little-endian bytes of a tensor's data (a view, not a copy). */
export function tensorDataBytes(data: HostTensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
