// `npm run dist:check`: packs the built app (out/) for Linux with electron-builder and the real
// electron-builder.yml, using a stand-in Electron distribution (build/standInElectron.mjs) because
// Electron cannot be downloaded on build machines. Then checks what the real build would flip and
// pack: the fuses read back from the packed executable equal electron-builder.yml's, the run-time
// files sit where the packaged code resolves them (build/packagedLayout.mjs), and prints the sizes.
// The result (dist/linux-unpacked) cannot run: its `electron` is a shell script.
//   node build/distCheck.mjs [--out <folder>]      (default dist/)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStandInElectron } from './standInElectron.mjs';
import { packagedLayoutProblems, packagedSizes } from './packagedLayout.mjs';

const require = createRequire(import.meta.url);
export const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));

/** electron-builder.yml, parsed with the YAML reader electron-builder itself uses. */
export async function readBuilderConfig(projectDir = PROJECT_DIR) {
  const yaml = createRequire(require.resolve('electron-builder'))('js-yaml');
  return yaml.load(await readFile(path.join(projectDir, 'electron-builder.yml'), 'utf8'));
}

/** electron-builder's names for @electron/fuses' options (FuseV1Options), in wire order. */
export function fuseConfigKey(option) {
  return option.charAt(0).toLowerCase() + option.slice(1);
}

/** The fuses of a packed executable, as electron-builder.yml names them: true on, false off. */
export async function readFuses(executable) {
  const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses');
  const wire = await getCurrentFuseWire(executable);
  const fuses = {};
  for (const [index, state] of Object.entries(wire)) {
    if (index === 'version') continue;
    const name = FuseV1Options[Number(index)];
    if (name === undefined) continue;
    fuses[fuseConfigKey(name)] = state === 0x31 ? true : state === 0x30 ? false : `state ${String.fromCharCode(state)}`;
  }
  return fuses;
}

/**
 * Packs `projectDir` (already built into out/) for Linux into `<outputDir>/linux-unpacked` with the
 * project's electron-builder.yml and a stand-in Electron. `editConfig` changes the parsed
 * configuration first (tests: what if an entry were missing). Resolves to the packed folder's paths
 * and the configuration used.
 */
export async function packWithStandInElectron({ projectDir = PROJECT_DIR, outputDir, arch = process.arch, editConfig = (config) => config } = {}) {
  if (process.platform !== 'linux') throw new Error('dist:check packs for Linux only; the release workflow packages every OS with real Electron.');
  const { build, Platform, Arch } = require('electron-builder');
  const yaml = createRequire(require.resolve('electron-builder'))('js-yaml');
  const standIn = await mkdtemp(path.join(tmpdir(), 'workbench-stand-in-electron-'));
  // electron-builder.yml as it is (or as a test edits it), told only where Electron comes from and
  // where the result goes; written beside the stand-in and passed as the configuration file.
  const config = editConfig(await readBuilderConfig(projectDir));
  const configFile = path.join(standIn, 'electron-builder.yml');
  try {
    await createStandInElectron(path.join(standIn, 'electron'));
    await writeFile(configFile, yaml.dump({ ...config, electronDist: path.join(standIn, 'electron'), directories: { ...config.directories, output: outputDir } }));
    await build({ projectDir, targets: Platform.LINUX.createTarget('dir', Arch[arch]), publish: 'never', config: configFile });
  } finally {
    await rm(standIn, { recursive: true, force: true });
  }
  const appOutDir = path.join(outputDir, arch === 'x64' ? 'linux-unpacked' : `linux-${arch}-unpacked`);
  const executableName = config.linux?.executableName ?? JSON.parse(await readFile(path.join(projectDir, 'package.json'), 'utf8')).name;
  return { appOutDir, resourcesDir: path.join(appOutDir, 'resources'), executable: path.join(appOutDir, executableName), config };
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main() {
  const outIndex = process.argv.indexOf('--out');
  const outputDir = path.resolve(outIndex > 0 ? process.argv[outIndex + 1] : path.join(PROJECT_DIR, 'dist'));
  const packed = await packWithStandInElectron({ outputDir });
  const problems = [];

  const fuses = await readFuses(packed.executable);
  for (const [name, wanted] of Object.entries(packed.config.electronFuses ?? {})) {
    if (fuses[name] !== wanted) problems.push(`fuse ${name} is ${fuses[name]} in the packed executable, electron-builder.yml says ${wanted}`);
  }
  problems.push(...packagedLayoutProblems(packed.resourcesDir, { projectDir: PROJECT_DIR }));

  const { asarBytes, unpackedBytes } = packagedSizes(packed.resourcesDir);
  console.log(`\npacked ${path.relative(process.cwd(), packed.appOutDir) || '.'} (stand-in Electron: not runnable)`);
  console.log(`fuses:              ${Object.entries(fuses).map(([name, on]) => `${name}=${on}`).join(' ')}`);
  console.log(`app.asar:           ${megabytes(asarBytes)}`);
  console.log(`app.asar.unpacked:  ${megabytes(unpackedBytes)}`);
  console.log(`together:           ${megabytes(asarBytes + unpackedBytes)}`);
  if (problems.length > 0) {
    console.error(`\ndist:check found ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log('layout: every run-time file is where the packaged code looks for it');
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
