/**
 * Where the workbench keeps its data: downloaded weights, imported checkpoints, runs. One folder per
 * user, in the platform's standard place, overridable with RESNET_WORKBENCH_DATA (tests, portable
 * installs, and the Electron app, which passes `app.getPath('userData')` through it).
 */
import { homedir } from 'node:os';
import path from 'node:path';

export const DATA_FOLDER_ENV = 'RESNET_WORKBENCH_DATA';

/** The name of our folder inside the platform's per-user data folder. */
const LINUX_FOLDER_NAME = 'resnet-workbench';
const DISPLAY_FOLDER_NAME = 'ResNet Workbench';

export interface AppPathOptions {
  /** Environment to read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Platform whose convention applies; default `process.platform`. */
  platform?: NodeJS.Platform;
  /** The user's home folder; default `os.homedir()`. */
  homeDir?: string;
}

/**
 * The app's data folder (not created here):
 * - `$RESNET_WORKBENCH_DATA` when set (resolved to an absolute path);
 * - Linux and other Unixes: `$XDG_DATA_HOME/resnet-workbench`, or `~/.local/share/resnet-workbench`;
 * - macOS: `~/Library/Application Support/ResNet Workbench`;
 * - Windows: `%APPDATA%\ResNet Workbench` (`~\AppData\Roaming\ResNet Workbench` when APPDATA is unset).
 */
export function appDataFolder(options: AppPathOptions = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.homeDir ?? homedir();
  const override = env[DATA_FOLDER_ENV];
  if (override) return path.resolve(override);
  if (platform === 'win32') {
    const appData = env.APPDATA || path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, DISPLAY_FOLDER_NAME);
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', DISPLAY_FOLDER_NAME);
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  const dataHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(dataHome, LINUX_FOLDER_NAME);
}

/** Downloaded and imported checkpoints: `<data>/weights`. */
export function weightsFolder(options: AppPathOptions = {}): string {
  return path.join(appDataFolder(options), 'weights');
}

/** Training runs: `<data>/runs`. */
export function runsFolder(options: AppPathOptions = {}): string {
  return path.join(appDataFolder(options), 'runs');
}

/** Where exports go unless the user names a folder: `<data>/exports`. */
export function exportsFolder(options: AppPathOptions = {}): string {
  return path.join(appDataFolder(options), 'exports');
}
