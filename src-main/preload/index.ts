/**
 * The preload script. Runs sandboxed, so it is bundled as CommonJS and may require only 'electron'.
 * The page gets the contract's API plus the native open dialog, never ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { PICK_PATHS_CHANNEL, type DesktopDialogs, type WorkbenchApi } from '../common/contract';
import { buildWorkbenchApi } from './workbenchApi';

const dialogs: DesktopDialogs = {
  pickPaths: (options) => ipcRenderer.invoke(PICK_PATHS_CHANNEL, options) as Promise<string[]>,
};

contextBridge.exposeInMainWorld('workbench', { ...buildWorkbenchApi(ipcRenderer), dialogs } satisfies WorkbenchApi);
