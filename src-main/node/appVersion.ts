// Imported rather than read at run time, so the bundled Electron main carries the version too.
import packageJson from '../../package.json';

/** The product version, from package.json (one source of truth). */
export const APP_VERSION: string = packageJson.version;
