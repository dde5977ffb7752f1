/**
 * The engine's one way to read a whole file it was given: only a regular file (never a device, FIFO
 * or socket — `/dev/zero` or `/dev/urandom` would never end, a FIFO would hang the reader), with its
 * size checked against a cap before a byte is read. The file is opened first and checked through the
 * open handle (fstat), so what is checked is what is read; O_NONBLOCK keeps the open itself from
 * waiting on a FIFO with no writer.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { WorkbenchError } from '../../common/errors';

export interface ReadRegularFileOptions {
  /** Refuse files larger than this many bytes (BAD_INPUT), before reading. */
  maxBytes: number;
  /** Names the file in messages: "Checkpoint file", "The image". */
  what: string;
}

/** O_NONBLOCK does not exist on Windows, where opening a pipe by path does not block anyway. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function describeKind(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Opens `file` for reading after checking it is a regular file of at most `maxBytes`; returns the handle and size. */
export async function openRegularFile(file: string, options: ReadRegularFileOptions): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WorkbenchError('NOT_FOUND', `${options.what} '${file}' does not exist.`, { cause: error });
    if (code === 'EISDIR') throw new WorkbenchError('BAD_INPUT', `${options.what} '${file}' is a folder, not a file.`, { cause: error });
    throw new WorkbenchError('IO', `Could not open ${options.what.toLowerCase()} '${file}': ${(error as Error).message}.`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new WorkbenchError('BAD_INPUT', `${options.what} '${file}' is ${describeKind(info)}; only regular files are read.`);
    if (info.size > options.maxBytes) {
      throw new WorkbenchError('BAD_INPUT', `${options.what} '${file}' is ${info.size} bytes, more than the ${options.maxBytes} bytes accepted.`);
    }
    return { handle, size: info.size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The whole of a regular file of at most `maxBytes` (see the module comment). Reads the size fstat
 * reported and no more, so a file that grows while it is read cannot exceed the cap.
 */
export async function readRegularFile(file: string, options: ReadRegularFileOptions): Promise<Uint8Array> {
  const { handle, size } = await openRegularFile(file, options);
  try {
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } catch (error) {
    if (error instanceof WorkbenchError) throw error;
    throw new WorkbenchError('IO', `Could not read ${options.what.toLowerCase()} '${file}': ${(error as Error).message}.`, { cause: error });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The first `length` bytes of a regular file of at most `maxBytes` (fewer if it is shorter): for sniffing. */
export async function readRegularFileHead(file: string, length: number, options: ReadRegularFileOptions): Promise<{ head: Uint8Array; size: number }> {
  const { handle, size } = await openRegularFile(file, options);
  try {
    const head = new Uint8Array(Math.min(length, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
