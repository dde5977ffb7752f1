/**
 * electron-vite builds three bundles into out/:
 *   out/main/index.js       the main process, ESM (package.json "type": "module"); every dependency
 *                           stays external so tfjs, sharp and native modules load from node_modules
 *   out/preload/index.cjs   the preload, CommonJS with everything bundled: a sandboxed preload can be
 *                           neither an ES module nor require anything but 'electron'
 *   out/renderer/           the Vue app (root src-renderer/)
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const here = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      // package.json "dependencies" are external by default; the engine also loads these when present.
      externalizeDeps: { include: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'] },
      lib: { entry: resolve(here, 'src-main/electron-main/index.ts') },
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
