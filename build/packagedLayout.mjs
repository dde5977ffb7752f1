// What the packaged app needs where its code looks for it: checks a packed `resources` folder
// (app.asar and app.asar.unpacked) made by electron-builder. Used by `npm run dist:check` and the
// packaged-layout test (test/build/packagedLayout.e2e.test.ts). Paths are the ones the built code
// resolves: out/main/*.js finds its siblings and `../../resources`, the preload and page by
// `../preload`, `../renderer`; Node resolves dependencies from the app's node_modules.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar');

/** Every file in the archive: path (no leading slash, '/' separators) → { size, unpacked }. */
export function listArchive(archive) {
  const files = new Map();
  const walk = (node, prefix) => {
    for (const [name, entry] of Object.entries(node.files ?? {})) {
      const relative = prefix ? `${prefix}/${name}` : name;
      if (entry.files) walk(entry, relative);
      else if (!entry.link) files.set(relative, { size: entry.size ?? 0, unpacked: entry.unpacked === true });
    }
  };
  walk(asar.getRawHeader(archive).header, '');
  return files;
}

/**
 * Files the packaged code opens at run time, and whether each must be unpacked from the archive:
 * native code (sharp's libvips, ONNX Runtime) cannot read inside app.asar, and sharp opens the sample
 * images by path.
 */
export const RUNTIME_FILES = [
  { file: 'package.json', why: 'the app manifest ("main")' },
  { file: 'out/main/index.js', why: 'the main process' },
  { file: 'out/main/trainerProcess.js', why: 'the trainer utility process' },
  { file: 'out/main/transformWorker.js', why: "the loader's decode worker" },
  { file: 'out/main/onnx.proto', why: 'the ONNX schema the exporter encodes with' },
  { file: 'out/preload/index.cjs', why: 'the preload' },
  { file: 'out/renderer/index.html', why: 'the page' },
  { file: 'resources/imagenet-classes.json', why: 'ImageNet class names' },
  { file: 'resources/sample-fashion/train', why: 'the bundled sample (read by sharp)', unpacked: true, folder: true },
  { file: 'resources/sample-fashion/test', why: 'the bundled sample (read by sharp)', unpacked: true, folder: true },
  { file: 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm', why: 'tfjs wasm backend', unpacked: true },
  { file: 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', why: 'tfjs wasm backend (SIMD)', unpacked: true },
  { file: 'node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/onnxruntime_binding.node', why: 'ONNX Runtime binding', unpacked: true },
  { file: 'node_modules/sharp/package.json', why: 'sharp', unpacked: true },
];

/** Packages whose files are native or read by native code: every file of theirs must be unpacked. */
export const UNPACKED_PACKAGES = ['node_modules/sharp/', 'node_modules/@img/', 'node_modules/onnxruntime-node/', 'node_modules/@tensorflow/tfjs-node/', 'node_modules/@tensorflow/tfjs-node-gpu/'];

/** The Pillow-exact resampler's wasm module, inlined (base64) into the built main scripts. */
function resamplerWasmBase64(projectDir) {
  const source = readFileSync(path.join(projectDir, 'src-main/node/dataset/wasm/pilResampleWasm.ts'), 'utf8');
  const match = /PIL_RESAMPLE_WASM_BASE64\s*=\s*(?:\n\s*)?['"`]([A-Za-z0-9+/=]+)['"`]/.exec(source);
  if (!match) throw new Error('pilResampleWasm.ts holds no base64 module');
  return match[1];
}

/**
 * Problems with a packed `resources` folder, as sentences; none means the layout is right.
 * `platform` and `arch` as Node names them (linux, x64).
 */
export function packagedLayoutProblems(resourcesDir, { projectDir, platform = process.platform, arch = process.arch } = {}) {
  const archive = path.join(resourcesDir, 'app.asar');
  const unpackedDir = `${archive}.unpacked`;
  if (!existsSync(archive)) return [`no app.asar in ${resourcesDir}`];
  const files = listArchive(archive);
  const problems = [];
  const onDisk = (relative) => existsSync(path.join(unpackedDir, relative));

  for (const entry of RUNTIME_FILES) {
    const relative = entry.file.replace('${platform}', platform).replace('${arch}', arch);
    const matching = entry.folder ? [...files].filter(([name]) => name.startsWith(`${relative}/`)) : files.has(relative) ? [[relative, files.get(relative)]] : [];
    if (matching.length === 0) {
      problems.push(`${relative} (${entry.why}) is not in the package`);
      continue;
    }
    if (entry.unpacked) {
      const packed = matching.filter(([name, info]) => !info.unpacked || !onDisk(name));
      if (packed.length > 0) problems.push(`${relative} (${entry.why}) must be unpacked from app.asar: ${packed.length} file(s) are not in app.asar.unpacked, e.g. ${packed[0][0]}`);
    }
  }

  // The page's scripts and styles, referenced relatively from index.html.
  if (files.has('out/renderer/index.html')) {
    const html = asar.extractFile(archive, 'out/renderer/index.html').toString('utf8');
    for (const [, reference] of html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)) {
      if (!files.has(`out/renderer/${reference}`)) problems.push(`out/renderer/${reference} (referenced by the page) is not in the package`);
    }
  }

  // Every native file, and every file of a native package, is unpacked.
  for (const [name, info] of files) {
    const native = name.endsWith('.node') || /\.(so(\.\d+)*|dylib|dll)$/.test(name) || UNPACKED_PACKAGES.some((prefix) => name.startsWith(prefix));
    if (native && (!info.unpacked || !onDisk(name))) problems.push(`${name} is native (or read by native code) but packed inside app.asar`);
  }

  // Every production dependency is in the package, with the file Node loads for it.
  const manifest = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8'));
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    const packageJson = `node_modules/${dependency}/package.json`;
    if (!files.has(packageJson)) {
      problems.push(`the dependency ${dependency} is not in the package`);
      continue;
    }
    const info = files.get(packageJson);
    const text = info.unpacked ? readFileSync(path.join(unpackedDir, packageJson), 'utf8') : asar.extractFile(archive, packageJson).toString('utf8');
    const main = JSON.parse(text).main;
    if (main) {
      const base = path.posix.normalize(`node_modules/${dependency}/${main}`);
      if (![base, `${base}.js`, `${base}/index.js`].some((candidate) => files.has(candidate))) problems.push(`${dependency}'s entry point ${main} is not in the package`);
    }
  }
  // Build tools stay out.
  for (const tool of ['tsx', 'esbuild', 'electron', 'vite', 'typescript']) {
    if (files.has(`node_modules/${tool}/package.json`)) problems.push(`the build tool ${tool} is packaged`);
  }

  // The resampler's wasm is inlined into the built main scripts.
  const base64 = resamplerWasmBase64(projectDir);
  const mainScripts = [...files.keys()].filter((name) => /^out\/main\/[^/]+\.js$/.test(name));
  if (!mainScripts.some((name) => asar.extractFile(archive, name).toString('utf8').includes(base64))) problems.push('the Pillow-exact resampler wasm is in no out/main script');
  return problems;
}

/** Bytes of app.asar and of everything in app.asar.unpacked. */
export function packagedSizes(resourcesDir) {
  const archive = path.join(resourcesDir, 'app.asar');
  const sumFolder = (folder) => {
    let total = 0;
    const walk = (dir) => {
      for (const name of existsSync(dir) ? readdirSync(dir) : []) {
        const full = path.join(dir, name);
        const info = statSync(full);
        if (info.isDirectory()) walk(full);
        else total += info.size;
      }
    };
    walk(folder);
    return total;
  };
  return { asarBytes: statSync(archive).size, unpackedBytes: sumFolder(`${archive}.unpacked`) };
}
