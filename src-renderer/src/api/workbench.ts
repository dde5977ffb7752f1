/**
 * The renderer's only way to the engine. In the desktop app the preload puts the contract's API on
 * `window.workbench`; in browser mode the same `WorkbenchApi` comes over a WebSocket to the page's
 * own server.
 */
import type { ErrorData } from '../../../src-main/common/errors';
import type { Reply, WorkbenchApi } from '../../../src-main/common/contract';
import { createWebSocketClient, type WebSocketClient } from './websocketClient';

declare global {
  interface Window {
    /** Set by the preload script in the desktop app. */
    workbench?: WorkbenchApi;
  }
}

/** A failed call, keeping the contract's error code for the UI to act on. */
export class ApiError extends Error {
  readonly code: ErrorData['code'];
  /** The run the error is about (BUSY: the running run). */
  readonly runId: string | undefined;
  constructor(error: ErrorData) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.runId = error.runId;
  }
}

let sharedClient: WebSocketClient | undefined;

/**
 * Browser mode's one connection, made on first use and shared by the whole page (its `connection`
 * state is what a status indicator shows).
 */
export function webSocketClient(): WebSocketClient {
  sharedClient ??= createWebSocketClient();
  return sharedClient;
}

/** The desktop app's `window.workbench`, or else browser mode's WebSocket client. */
export function workbenchApi(): WorkbenchApi {
  return window.workbench ?? webSocketClient().api;
}

/** The value of a successful reply; a failed one becomes an ApiError. */
export function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw new ApiError(reply.error);
}
