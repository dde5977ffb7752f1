/**
 * The preload script. Runs sandboxed, so it is bundled as CommonJS and may require only 'electron'.
 * The page gets the contract's API plus the native open dialog and "Show in folder", never
 * ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { PICK_PATHS_CHANNEL, SHOW_IN_FOLDER_CHANNEL, type DesktopDialogs, type WorkbenchApi } from '../common/contract';
import { buildWorkbenchApi } from './workbenchApi';

const dialogs: DesktopDialogs = {
  pickPaths: (options) => ipcRenderer.invoke(PICK_PATHS_CHANNEL, options) as Promise<string[]>,
  showInFolder: async (path) => {
    await ipcRenderer.invoke(SHOW_IN_FOLDER_CHANNEL, path);
  },
};

contextBridge.exposeInMainWorld('workbench', { ...buildWorkbenchApi(ipcRenderer), dialogs } satisfies WorkbenchApi);
