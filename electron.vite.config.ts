/**
 * electron-vite builds three bundles into out/:
 *   out/main/index.js       the main process, ESM (package.json "type": "module"); every dependency
 *                           stays external so tfjs, sharp and native modules load from node_modules;
 *                           beside it trainerProcess.js (a run's utilityProcess) and transformWorker.js
 *   out/preload/index.cjs   the preload, CommonJS with everything bundled: a sandboxed preload can be
 *                           neither an ES module nor require anything but 'electron'
 *   out/renderer/           the Vue app (root src-renderer/)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = import.meta.dirname;

/**
 * electron-vite prepends `const require = createRequire(import.meta.url)` (and __dirname) to an ESM
 * main bundle whose code mentions `require(`, for CommonJS-style sources. Ours are ESM and make
 * their own `require` with createRequire where they need one (optional native packages), so the
 * shim would declare `require` twice and main would not even parse. Dependencies are external, so
 * no bundled code needs the shim.
 */
function withoutCommonJsShim(): Plugin {
  return {
    name: 'workbench:without-commonjs-shim',
    configResolved(config) {
      const plugins = config.plugins as Plugin[];
      const shim = plugins.findIndex((plugin) => plugin.name === 'vite:esm-shim');
      if (shim >= 0) plugins.splice(shim, 1);
    },
  };
}

/**
 * Files the engine reads beside its own module at run time (`new URL('./x', import.meta.url)`), copied
 * next to the main bundle: the official ONNX schema the ONNX exporter encodes with.
 */
function withEngineAssets(): Plugin {
  return {
    name: 'workbench:engine-assets',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'onnx.proto', source: readFileSync(resolve(here, 'src-main/node/engine/onnx.proto')) });
    },
  };
}

export default defineConfig({
  main: {
    plugins: [withoutCommonJsShim(), withEngineAssets()],
    build: {
      // package.json "dependencies" are external by default; the engine also loads these when present.
      externalizeDeps: { include: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'] },
      // The loader's decode workers run transformWorker.js from beside the bundle.
      lib: {
        entry: {
          index: resolve(here, 'src-main/electron-main/index.ts'),
          transformWorker: resolve(here, 'src-main/node/dataset/transformWorker.ts'),
          // Each run trains in a utilityProcess started from this entry.
          trainerProcess: resolve(here, 'src-main/node/train/trainerProcess.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      lib: { entry: resolve(here, 'src-main/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    root: resolve(here, 'src-renderer'),
    plugins: [vue()],
    build: {
      rolldownOptions: { input: resolve(here, 'src-renderer/index.html') },
    },
  },
});
