/**
 * Checkpoint files on disk: the format is sniffed from the content (zip magic, the legacy pickle
 * magic number, a safetensors header), never trusted from the extension, and writes are atomic.
 * Reads follow the engine's file-access rule (io/regularFile): regular files only, size-capped first.
 */
import { WorkbenchError } from '../../common/errors';
import { writeFileAtomic } from '../io/atomicWrite';
import { readRegularFile } from '../io/regularFile';
import { looksLikeSafetensors, parseSafetensors, serializeSafetensors } from './safetensors';
import type { StateDict } from './stateDict';
import { looksLikeTorchCheckpoint, parseTorchCheckpoint, serializeTorchZip, type CheckpointLayout } from './torchPth';

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

/** Larger than any ResNet checkpoint (ResNet-152 in float64 is ~460 MB); refused before reading. */
export const MAX_CHECKPOINT_FILE_BYTES = 1024 * 1024 * 1024;

async function readBytes(filePath: string): Promise<Uint8Array> {
  return readRegularFile(filePath, { maxBytes: MAX_CHECKPOINT_FILE_BYTES, what: 'Checkpoint file' });
}

export interface ReadCheckpointOptions {
  /**
   * What a .pth file's tensors must look like before any is read. Default 'torchvision-resnet': every
   * checkpoint the engine loads is one; 'any' is for tools and tests reading other state dicts.
   */
  layout?: CheckpointLayout;
}

/** Reads a .pth (zip or legacy) or .safetensors file with its metadata. */
export async function readCheckpointWithMetadata(filePath: string, options: ReadCheckpointOptions = {}): Promise<CheckpointContents> {
  return parseCheckpointBytes(await readBytes(filePath), `'${filePath}'`, options);
}

/** A checkpoint's bytes, format sniffed from the content; `label` names the file in messages. */
export function parseCheckpointBytes(bytes: Uint8Array, label: string, options: ReadCheckpointOptions = {}): CheckpointContents {
  const format = detectCheckpointFormat(bytes);
  if (format === 'pth') return { tensors: parseTorchCheckpoint(bytes, { label, layout: options.layout ?? 'torchvision-resnet' }), format, metadata: {} };
  if (format === 'safetensors') return { ...parseSafetensors(bytes, { label }), format };
  const what = bytes.length === 0 ? 'it is empty' : `its first bytes are ${Buffer.from(bytes.subarray(0, 8)).toString('hex')}`;
  throw new WorkbenchError('CHECKPOINT_CORRUPT', `${label} is not a PyTorch or safetensors checkpoint (${what}).`);
}

/**
 * The state dict in a .pth (zip or legacy) or .safetensors file. Throws NOT_FOUND for a missing
 * file, CHECKPOINT_CORRUPT for anything that is not a well-formed checkpoint, CHECKPOINT_UNSAFE for
 * a pickle that names code.
 */
export async function readCheckpoint(filePath: string, options: ReadCheckpointOptions = {}): Promise<StateDict> {
  return (await readCheckpointWithMetadata(filePath, options)).tensors;
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
