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
