/**
 * Checkpoint files on disk: the format is sniffed from the content (zip magic, the legacy pickle
 * magic number, a safetensors header), never trusted from the extension, and writes are atomic.
 */
import { readFile } from 'node:fs/promises';
import { WorkbenchError } from '../../common/errors';
import { writeFileAtomic } from '../io/atomicWrite';
import { looksLikeSafetensors, parseSafetensors, serializeSafetensors } from './safetensors';
import type { StateDict } from './stateDict';
import { looksLikeTorchCheckpoint, parseTorchCheckpoint, serializeTorchZip } from './torchPth';

export type CheckpointFormat = 'pth' | 'safetensors';

export interface CheckpointContents {
  tensors: StateDict;
  /** 'pth' for both torch.save formats. */
  format: CheckpointFormat;
  /** The safetensors `__metadata__` map; {} for .pth files, which have none. */
  metadata: Record<string, string>;
}

/** Which reader understands `bytes`, from their first bytes; undefined when none does. */
export function detectCheckpointFormat(bytes: Uint8Array): CheckpointFormat | undefined {
  if (looksLikeTorchCheckpoint(bytes)) return 'pth';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  return undefined;
}

async function readBytes(filePath: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(filePath);
    // A plain Uint8Array view: Buffer's slice() shares memory where Uint8Array's copies.
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WorkbenchError('NOT_FOUND', `Checkpoint file '${filePath}' does not exist.`, { cause: error });
    if (code === 'EISDIR') throw new WorkbenchError('BAD_INPUT', `'${filePath}' is a folder, not a checkpoint file.`, { cause: error });
    const reason = error instanceof Error ? error.message : String(error);
    throw new WorkbenchError('IO', `Could not read checkpoint file '${filePath}': ${reason}.`, { cause: error });
  }
}

/** Reads a .pth (zip or legacy) or .safetensors file with its metadata. */
export async function readCheckpointWithMetadata(filePath: string): Promise<CheckpointContents> {
  const bytes = await readBytes(filePath);
  const label = `'${filePath}'`;
  const format = detectCheckpointFormat(bytes);
  if (format === 'pth') return { tensors: parseTorchCheckpoint(bytes, { label }), format, metadata: {} };
  if (format === 'safetensors') return { ...parseSafetensors(bytes, { label }), format };
  const what = bytes.length === 0 ? 'it is empty' : `its first bytes are ${Buffer.from(bytes.subarray(0, 8)).toString('hex')}`;
  throw new WorkbenchError('CHECKPOINT_CORRUPT', `${label} is not a PyTorch or safetensors checkpoint (${what}).`);
}

/**
 * The state dict in a .pth (zip or legacy) or .safetensors file. Throws NOT_FOUND for a missing
 * file, CHECKPOINT_CORRUPT for anything that is not a well-formed checkpoint, CHECKPOINT_UNSAFE for
 * a pickle that names code.
 */
export async function readCheckpoint(filePath: string): Promise<StateDict> {
  return (await readCheckpointWithMetadata(filePath)).tensors;
}

/**
 * Writes `dict` atomically as a zip-format .pth (torch.load reads it) or a .safetensors file.
 * `metadata` is stored only in safetensors files; passing it with 'pth' is an error rather than a
 * silent loss.
 */
export async function writeCheckpoint(
  filePath: string,
  dict: StateDict,
  format: CheckpointFormat,
  metadata?: Record<string, string>,
): Promise<void> {
  if (format === 'pth' && metadata && Object.keys(metadata).length) {
    throw new WorkbenchError('BAD_INPUT', 'A .pth file cannot carry metadata; write safetensors to keep it.');
  }
  const bytes = format === 'pth' ? serializeTorchZip(dict) : serializeSafetensors(dict, metadata);
  await writeFileAtomic(filePath, bytes);
}
