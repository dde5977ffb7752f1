/**
 * Where files the engine opens at run time are, whether it runs from the TypeScript sources
 * (src-main/node/…, tsx and vitest) or from the electron-vite bundle (out/main/*.js, flat), in a
 * checkout or packed into the desktop app's app.asar.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** True from the bundle in out/main/, false from the TypeScript sources. */
export const RUNS_FROM_BUNDLE = !import.meta.url.endsWith('.ts');

/** The package root: the checkout, or the app's root inside app.asar (two levels above either). */
export const PACKAGE_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A file beside the built main bundle (out/main/<name>), e.g. the trainer process's entry. */
export function builtMainFile(name: string): string {
  return path.join(PACKAGE_ROOT, 'out', 'main', name);
}

/**
 * A path as native code (sharp's libvips) must open it: files electron-builder unpacks (`asarUnpack`)
 * live in app.asar.unpacked, which only Electron's patched `fs` finds through an app.asar path.
 */
export function unpackedPath(file: string): string {
  return file.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
}

/** The bundled sample data set (resources/sample-fashion), readable by sharp in the packaged app too. */
export function sampleDatasetFolder(): string {
  return unpackedPath(path.join(PACKAGE_ROOT, 'resources', 'sample-fashion'));
}
