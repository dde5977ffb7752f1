/**
 * The Electron IPC transport of the contract: one `ipcMain.handle` per call, all registered by one
 * function so none can skip the sender check, and the service's events sent to the window.
 * Parameters are validated by `Workbench.dispatch` before any engine code runs.
 */
import { CALL_NAMES, callChannel, eventChannel, type Reply, type Unsubscribe } from '../common/contract';
import type { CallContext, WorkbenchEvent } from '../node/service/workbench';
import { senderFactsOf, isTrustedSender, type InvokeEventLike, type TrustedSenders } from './security';

/** What registration needs of `ipcMain` (narrowed so it can be faked in tests). */
export interface InvokeRegistry {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** What registration needs of the Workbench service. */
export interface CallDispatcher {
  dispatch(call: string, rawParams: unknown, context?: CallContext): Promise<Reply<unknown>>;
}

/**
 * What a window does that leaves its pending calls without anyone to answer: closed, its renderer
 * crashed, or it loaded a page again. Its model jobs are then ended (as a closed socket's are in
 * browser mode) instead of running to a time limit for no one.
 */
const CALLER_GONE_EVENTS = ['destroyed', 'render-process-gone', 'did-navigate'] as const;

/** A signal aborted when the calling window goes away, and the cleanup once the call has settled. */
function callerSignal(sender: InvokeEventLike['sender']): { signal: AbortSignal; settle: () => void } {
  const controller = new AbortController();
  const gone = (): void => controller.abort();
  for (const event of CALLER_GONE_EVENTS) sender.once?.(event, gone);
  return {
    signal: controller.signal,
    settle: () => {
      for (const event of CALLER_GONE_EVENTS) sender.removeListener?.(event, gone);
    },
  };
}

export class UntrustedSenderError extends Error {
  override name = 'UntrustedSenderError';
}

/**
 * Registers every contract call. A message from anything but our window's main frame showing our
 * page is refused (the invoke rejects; it gets no envelope). Returns a function removing them all.
 */
export function registerContractHandlers(
  ipc: InvokeRegistry,
  service: CallDispatcher,
  trusted: () => TrustedSenders,
  log: (message: string) => void = console.warn,
): Unsubscribe {
  for (const call of CALL_NAMES) {
    handleFromTrustedSender(ipc, callChannel(call), call, trusted, log, (rawParams, context) => service.dispatch(call, rawParams, context));
  }
  return () => {
    for (const call of CALL_NAMES) ipc.removeHandler(callChannel(call));
  };
}

/**
 * Registers one IPC handler that refuses a message from anything but our window's main frame
 * showing our page (the invoke rejects; it gets no answer). Every handler main registers goes
 * through here, so none can skip the check.
 */
export function handleFromTrustedSender(
  ipc: InvokeRegistry,
  channel: string,
  what: string,
  trusted: () => TrustedSenders,
  log: (message: string) => void,
  handler: (rawParams: unknown, context: CallContext) => Promise<unknown>,
): void {
  ipc.handle(channel, async (event, rawParams) => {
    const sender = senderFactsOf(event);
    if (!isTrustedSender(sender, trusted())) {
      log(`Refused '${what}' from webContents ${sender.webContentsId} at ${sender.frameUrl ?? '(no frame)'}`);
      throw new UntrustedSenderError(`'${what}' refused: the sender is not the workbench window.`);
    }
    const caller = callerSignal(event.sender);
    try {
      return await handler(rawParams, { signal: caller.signal });
    } finally {
      caller.settle();
    }
  });
}

/** Sends one service event to a window (`webContents.send`), on the event's own channel. */
export function sendEvent(send: (channel: string, payload: unknown) => void, message: WorkbenchEvent): void {
  send(eventChannel(message.event), message.payload);
}
