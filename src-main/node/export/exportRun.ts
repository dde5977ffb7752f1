/**
 * `export`: a run's model written in a format another tool loads, with its model card beside it.
 * Files are written atomically and a folder (tfjs) is moved into place whole, so an interrupted
 * export leaves nothing at the named path.
 */
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import { runsFolder } from '../appPaths';
import { removeStaleTempFiles, writeFileAtomic, writeFilesAtomic } from '../io/atomicWrite';
import { openRunFolder, type RunRecord } from '../train/runFolder';
import { assertOutsideDataFolders, type DataFolder } from './dataFolderGuard';
import type { ExportMetadata } from './exportMetadata';
import { assertWritableTarget, writeFolderAtomic } from './exportTarget';
import { classifierModel } from './loadModel';
import { loadRunModel, type LoadRunOptions } from './loadRunModel';
import { EXPORT_FORMATS, modelCard, type ExportFormat } from './modelCard';
import { onnxModelBytes } from './onnxExport';
import { modelStateDict, pthBytes, safetensorsBytes } from './stateDictExport';
import { writeTfjsModel } from './tfjsExport';

export interface ExportRunOptions extends LoadRunOptions {
  /** Run folder, or run id under runsRoot. */
  run: string;
  format: ExportFormat;
  /** A file for onnx/pth/safetensors, a folder for tfjs. */
  out: string;
  /** Replace an existing export at `out` (and its card). Default false. */
  force?: boolean;
}

export interface ExportResult {
  format: ExportFormat;
  /** Absolute path of the model file or folder. */
  path: string;
  /** Absolute path of the model card. */
  card: string;
  metadata: ExportMetadata;
}

export function parseExportFormat(text: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(text)) return text as ExportFormat;
  throw new WorkbenchError('BAD_INPUT', `Unknown export format '${text}'; expected one of ${EXPORT_FORMATS.join(', ')}.`);
}

/** Where the card of a single-file export goes: beside it, `<file>.md`. A tfjs folder holds its own README.md. */
export function modelCardPath(format: ExportFormat, out: string): string {
  return format === 'tfjs' ? path.join(out, 'README.md') : `${out}.md`;
}

/** The folders a run read its images from, named for messages. */
export function runDataFolders(record: Pick<RunRecord, 'id' | 'config'>): DataFolder[] {
  const folders: DataFolder[] = [{ folder: record.config.trainDir, what: `the training images of run ${record.id}` }];
  if (record.config.testDir) folders.push({ folder: record.config.testDir, what: `the test images of run ${record.id}` });
  return folders;
}

export async function exportRun(options: ExportRunOptions): Promise<ExportResult> {
  const out = path.resolve(options.out);
  const force = options.force ?? false;
  const format = options.format;
  const card = modelCardPath(format, out);
  // Cheap checks first, before the model is loaded: a refused export writes nothing.
  const record = await openRunFolder(options.run, options.runsRoot ?? runsFolder());
  await assertOutsideDataFolders(out, runDataFolders(record));
  await assertWritableTarget(out, force);
  if (format !== 'tfjs') await assertWritableTarget(card, force);
  // What an export killed here before left behind (kill -9 between its writes and renames).
  await removeStaleTempFiles(path.dirname(out));
  const loaded = await loadRunModel(options.run, options);
  const model = classifierModel(loaded);
  try {
    const { metadata } = loaded;
    const cardText = modelCard(metadata, format, path.basename(out));
    if (format === 'tfjs') {
      await writeFolderAtomic(out, async (folder) => {
        await writeTfjsModel(model, metadata, folder);
        await writeFileAtomic(path.join(folder, 'README.md'), cardText);
      });
    } else {
      const dict = modelStateDict(model, loaded.depth);
      const bytes = format === 'pth' ? pthBytes(dict) : format === 'safetensors' ? safetensorsBytes(dict, metadata) : onnxModelBytes(dict, metadata);
      // One commit: both written whole before either is renamed into place, the card first, so a model
      // file is never seen without its card (a killed export leaves neither, nor any temp file).
      await writeFilesAtomic([
        [card, cardText],
        [out, bytes],
      ]);
    }
    return { format, path: out, card, metadata };
  } finally {
    model.dispose();
  }
}
