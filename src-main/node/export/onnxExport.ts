import { WorkbenchError } from '../../common/errors';
import type { StateDict } from '../weights/stateDict';
import type { ExportMetadata } from './exportMetadata';

export function onnxModelBytes(_dict: StateDict, _metadata: ExportMetadata): Uint8Array {
  throw new WorkbenchError('NOT_AVAILABLE', 'ONNX export is not available yet.');
}

export async function readOnnxModel(_file: string): Promise<{ dict: StateDict; metadata: ExportMetadata }> {
  throw new WorkbenchError('NOT_AVAILABLE', 'ONNX reading is not available yet.');
}
