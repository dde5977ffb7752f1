/**
 * The renderer's only way to the engine. In the desktop app the preload puts the contract's API on
 * `window.workbench`; the browser mode will provide the same `WorkbenchApi` over a WebSocket.
 */
import type { ErrorData } from '../../../src-main/common/errors';
import type { Reply, WorkbenchApi } from '../../../src-main/common/contract';

declare global {
  interface Window {
    /** Set by the preload script in the desktop app. */
    workbench?: WorkbenchApi;
  }
}

/** A failed call, keeping the contract's error code for the UI to act on. */
export class ApiError extends Error {
  readonly code: ErrorData['code'];
  constructor(error: ErrorData) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
  }
}

export function workbenchApi(): WorkbenchApi {
  if (!window.workbench) {
    throw new ApiError({ code: 'NOT_AVAILABLE', message: 'The workbench engine is not connected to this page.' });
  }
  return window.workbench;
}

/** The value of a successful reply; a failed one becomes an ApiError. */
export function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw new ApiError(reply.error);
}
