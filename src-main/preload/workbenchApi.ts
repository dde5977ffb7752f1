/**
 * Builds `window.workbench` from the contract over Electron IPC: one method per call
 * (`workbench.engine.info()`) and `on(event, listener)`. Only these functions cross the context
 * bridge — never `ipcRenderer` itself, nor Electron's event object (its `sender` is ipcRenderer).
 */
import { apiFromTransport } from '../common/apiFromTransport';
import { callChannel, eventChannel, type WorkbenchApi } from '../common/contract';

/** What the API needs of `ipcRenderer` (narrowed so it can be faked in tests). */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function buildWorkbenchApi(ipc: RendererIpc): WorkbenchApi {
  return apiFromTransport({
    invoke: (call, params) => ipc.invoke(callChannel(call), params),
    subscribe: (event, listener) => {
      const channel = eventChannel(event);
      const forward = (_event: unknown, payload: unknown): void => listener(payload);
      ipc.on(channel, forward);
      return () => {
        ipc.removeListener(channel, forward);
      };
    },
  });
}
