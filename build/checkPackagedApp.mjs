// Checks the app electron-builder packaged into dist/ on this runner, with real Electron (the release
// workflow, after packaging and before publishing):
//   node build/checkPackagedApp.mjs fuses       every packaged binary's fuses, read with @electron/fuses,
//                                               equal electron-builder.yml's electronFuses
//   node build/checkPackagedApp.mjs self-test   runs `<app> --self-test` (Linux: under xvfb-run)
//   node build/checkPackagedApp.mjs cli         runs `<app> info --json`, the command line, headless
// Exits 1 with the reason on any failure.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_DIR, readBuilderConfig, readFuses } from './distCheck.mjs';

const dist = path.join(PROJECT_DIR, 'dist');

/** Every packaged app in dist/: its folder, the executable to run and the file holding the fuses. */
export function packagedApps(config, folder = dist) {
  const productName = config.productName;
  const linuxName = config.linux?.executableName ?? 'resnet-workbench';
  const apps = [];
  for (const name of existsSync(folder) ? readdirSync(folder) : []) {
    const dir = path.join(folder, name);
    if (/^linux(-\w+)?-unpacked$/.test(name)) apps.push({ dir, arch: name === 'linux-unpacked' ? 'x64' : name.split('-')[1], executable: path.join(dir, linuxName), fuseFile: path.join(dir, linuxName) });
    else if (/^win(-\w+)?-unpacked$/.test(name)) apps.push({ dir, arch: name === 'win-unpacked' ? 'x64' : name.split('-')[1], executable: path.join(dir, `${productName}.exe`), fuseFile: path.join(dir, `${productName}.exe`) });
    else if (/^mac(-\w+)?$/.test(name)) {
      const app = path.join(dir, `${productName}.app`);
      if (existsSync(app)) apps.push({ dir, arch: name === 'mac' ? 'x64' : name.split('-')[1], executable: path.join(app, 'Contents', 'MacOS', productName), fuseFile: app });
    }
  }
  return apps;
}

/** Runs a command, echoing its output; resolves to its exit code. */
function run(command, args, env = process.env) {
  console.log(`$ ${[command, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('error', (error) => {
      console.error(error.message);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main() {
  const check = process.argv[2];
  const config = await readBuilderConfig();
  const apps = packagedApps(config);
  if (apps.length === 0) throw new Error(`no packaged app in ${dist}: run electron-builder first`);
  if (check === 'fuses') {
    const wanted = config.electronFuses;
    let failed = false;
    for (const app of apps) {
      const fuses = await readFuses(app.fuseFile);
      const wrong = Object.entries(wanted).filter(([name, value]) => fuses[name] !== value);
      console.log(`${path.relative(PROJECT_DIR, app.fuseFile)}: ${Object.entries(fuses).map(([name, on]) => `${name}=${on}`).join(' ')}`);
      for (const [name, value] of wrong) console.error(`  fuse ${name} is ${fuses[name]}, electron-builder.yml says ${value}`);
      failed ||= wrong.length > 0;
    }
    if (failed) process.exitCode = 1;
    return;
  }
  // Run the build for this runner's architecture.
  const app = apps.find((candidate) => candidate.arch === process.arch);
  if (!app) throw new Error(`no packaged app for ${process.arch} in ${dist}`);
  if (check === 'self-test') {
    const args = ['--self-test'];
    process.exitCode = process.platform === 'linux' ? await run('xvfb-run', ['--auto-servernum', app.executable, ...args]) : await run(app.executable, args);
    return;
  }
  if (check === 'cli') {
    // No display needed: Chromium's headless Ozone platform on Linux (the switch goes before the command).
    const args = [...(process.platform === 'linux' ? ['--ozone-platform=headless'] : []), 'info', '--json'];
    process.exitCode = await run(app.executable, args);
    return;
  }
  throw new Error(`usage: node build/checkPackagedApp.mjs fuses|self-test|cli (got '${check ?? ''}')`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(PROJECT_DIR, 'build', 'checkPackagedApp.mjs')) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
