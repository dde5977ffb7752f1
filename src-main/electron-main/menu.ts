/**
 * The application menu as a template built from plain facts, so its contents are unit-tested without
 * Electron. Developer items (reload, devtools) exist only in an unpackaged app: a reload of the
 * packaged app would only lose the page's state, and devtools are not for users.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuFacts {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  /** Opens the folder holding the runs in the system's file manager. */
  showRunsFolder: () => void;
  /** Opens the folder holding downloaded and imported weights. */
  showWeightsFolder: () => void;
}

export function applicationMenuTemplate(facts: MenuFacts): MenuItemConstructorOptions[] {
  const isMac = facts.platform === 'darwin';
  const developer: MenuItemConstructorOptions[] = facts.isPackaged ? [] : [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }];
  return [
    ...(isMac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Show Runs Folder', click: facts.showRunsFolder },
        { label: 'Show Weights Folder', click: facts.showWeightsFolder },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [...developer, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
  ];
}
