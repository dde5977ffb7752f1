/**
 * The preload script. Runs sandboxed, so it is bundled as CommonJS and may require only 'electron'.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildWorkbenchApi } from './workbenchApi';

contextBridge.exposeInMainWorld('workbench', buildWorkbenchApi(ipcRenderer));
