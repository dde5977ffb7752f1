import { fileURLToPath } from 'node:url';

/**
 * The job folder's fixed files (train.py, launch.sh, requirements.txt, README.md). Both in the sources
 * (src-main/node/) and in the electron-vite bundle (out/main/), the resources folder is two levels up.
 */
export const JOB_TEMPLATE_FOLDER = fileURLToPath(new URL('../../resources/job/', import.meta.url));
