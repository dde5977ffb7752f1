import type * as tf from '@tensorflow/tfjs';
import { WorkbenchError } from '../../common/errors';
import type { ExportMetadata } from './exportMetadata';

export async function writeTfjsModel(_model: tf.LayersModel, _metadata: ExportMetadata, _folder: string): Promise<void> {
  throw new WorkbenchError('NOT_AVAILABLE', 'tfjs export is not available yet.');
}

export async function readTfjsModel(_folder: string): Promise<{ model: tf.LayersModel; metadata: ExportMetadata }> {
  throw new WorkbenchError('NOT_AVAILABLE', 'tfjs reading is not available yet.');
}
