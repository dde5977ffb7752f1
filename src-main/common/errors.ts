/**
 * Errors that cross the contract carry a stable code and a message meant for a person. Rich Error
 * objects do not survive IPC or JSON, so everything user-facing is a WorkbenchError.
 */
export const ERROR_CODES = [
  'BAD_INPUT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CHECKPOINT_MISMATCH',
  'CHECKPOINT_UNSAFE',
  'CHECKPOINT_CORRUPT',
  'CHECKSUM_MISMATCH',
  'NETWORK',
  'OFFLINE',
  'IO',
  'BACKEND',
  'CANCELLED',
  /** The engine is already doing the one thing it does at a time (a training run); try again when it ends. */
  'BUSY',
  /** A job ran past its time limit and was ended (a model job, or a file that takes too long to parse). */
  'TIMEOUT',
  'TRAINING_DIVERGED',
  'OUT_OF_MEMORY',
  'NOT_AVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class WorkbenchError extends Error {
  readonly code: ErrorCode;
  /** The run the error is about (a BUSY engine's running run), for programs: no UI parses the message. */
  readonly runId: string | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; runId?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkbenchError';
    this.code = code;
    this.runId = options?.runId;
  }
}

export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** The run the error is about, when there is one (BUSY: the running run). */
  runId?: string;
}

export function toErrorData(error: unknown): ErrorData {
  if (error instanceof WorkbenchError) return { code: error.code, message: error.message, ...(error.runId !== undefined ? { runId: error.runId } : {}) };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}
