import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The product version, from package.json (one source of truth). */
export const APP_VERSION: string = (require('../../package.json') as { version: string }).version;
