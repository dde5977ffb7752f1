/**
 * ONNX's protobuf messages, from the official schema (onnx.proto beside this file) through
 * protobufjs: field names kept as the schema spells them (`raw_data`, `metadata_props`).
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

let root: protobuf.Root | undefined;

/** The `onnx.<name>` message type, e.g. 'ModelProto'. */
export function onnxType(name: string): protobuf.Type {
  root ??= new protobuf.Root().loadSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)), { keepCase: true });
  return root.lookupType(`onnx.${name}`);
}

/** TensorProto.DataType.FLOAT */
export const ONNX_FLOAT = 1;
/** opset 13 with IR version 7, the pairing ONNX's versioning table gives. */
export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
