// A stand-in Electron distribution for packaging on machines that cannot download Electron (`npm run
// dist:check`, the packaged-layout test). electron-builder copies it where Electron's files go
// (`electronDist`), renames the executable and flips its fuses. Never shipped: real builds download
// Electron. The executable is a shell script that says what it is; it carries Electron's fuse wire
// (the sentinel @electron/fuses looks for, wire version 1, eight fuses at Electron's defaults), so
// electron-builder's fuse step runs for real and the flipped fuses can be read back.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** @electron/fuses' sentinel (constants.js), followed in Electron by the wire version and length. */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/**
 * Electron's default fuse states in wire order ('1' on, '0' off): RunAsNode on, cookie encryption off,
 * NODE_OPTIONS on, --inspect on, embedded asar integrity off, only load from asar off, browser V8
 * snapshot off, file:// extra privileges on.
 */
export const ELECTRON_DEFAULT_FUSES = '10110001';

/** The Electron version the project builds against (the installed `electron` devDependency). */
export function electronVersion() {
  return require('electron/package.json').version;
}

/**
 * Write the stand-in into `dir` (created): `electron` (Linux; `electron.exe` is not made, packaging
 * here is for Linux), `version`, `LICENSE`, an empty `resources/`. Returns `dir`.
 */
export async function createStandInElectron(dir, version = electronVersion()) {
  await mkdir(path.join(dir, 'resources'), { recursive: true });
  const wire = Buffer.concat([Buffer.from(FUSE_SENTINEL, 'latin1'), Buffer.from([1, ELECTRON_DEFAULT_FUSES.length]), Buffer.from(ELECTRON_DEFAULT_FUSES, 'latin1')]);
  const script = Buffer.concat([
    Buffer.from(
      '#!/bin/sh\n' +
        `# Stand-in for Electron ${version}, made by build/standInElectron.mjs for packaging checks; not Electron.\n` +
        'echo "stand-in Electron: this package was made by npm run dist:check and cannot run" >&2\n' +
        'exit 1\n# fuse wire: ',
      'utf8',
    ),
    wire,
    Buffer.from('\n', 'utf8'),
  ]);
  const executable = path.join(dir, 'electron');
  await writeFile(executable, script);
  await chmod(executable, 0o755);
  await writeFile(path.join(dir, 'version'), version);
  await writeFile(path.join(dir, 'LICENSE'), 'Stand-in Electron distribution for packaging checks; contains no Electron code.\n');
  return dir;
}
