/**
 * Backend selection. Order, first that works: tfjs-node-gpu (CUDA), tfjs-node (native CPU), wasm
 * (fast inference; convolution weight gradients registered by us, see wasmKernels.ts), the pure-JS
 * cpu backend (everything, slowly).
 * tfjs-node* are optional dependencies whose install downloads libtensorflow; where that failed they
 * are simply absent and we say why.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import util from 'node:util';
import * as tf from './tf';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerBatchNormGradient } from './batchNormGradient';
import { registerFastCpuKernels } from './cpuKernels';
import { registerWasmGradientKernels } from './wasmKernels';

const require = createRequire(import.meta.url);

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendAttempt {
  backend: BackendName;
  reason: string;
}

export interface BackendInfo {
  /** Our name for the active backend (tfjs calls both native builds 'tensorflow'). */
  backend: BackendName;
  /** tfjs' own backend name. */
  tfjsBackend: string;
  versions: Record<string, string>;
  /** Whether the backend has Conv2DBackpropFilter, i.e. can fine-tune convolutions. */
  convGradients: boolean;
  /** Faster backends that were tried and why they did not load. */
  skipped: BackendAttempt[];
}

/**
 * tfjs-node 4.22 calls `util.isNullOrUndefined` and `util.isArray`, removed in Node 23. Electron may
 * bundle a newer Node, so put them back before loading it (the widely used workaround).
 */
export function shimRemovedUtilFunctions(): void {
  const u = util as unknown as Record<string, unknown>;
  u.isNullOrUndefined ??= (value: unknown) => value === null || value === undefined;
  u.isArray ??= Array.isArray;
}

async function loadNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<void> {
  shimRemovedUtilFunctions();
  // Without this TensorFlow reserves all GPU memory at start-up.
  process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
  require(pkg);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise');
}

function wasmDistFolder(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep;
}

async function loadWasm(): Promise<void> {
  setWasmPaths(wasmDistFolder());
  registerWasmGradientKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
}

async function loadCpu(): Promise<void> {
  registerFastCpuKernels();
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
}

const LOADERS: Record<BackendName, () => Promise<void>> = {
  'tensorflow-gpu': () => loadNative('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => loadNative('@tensorflow/tfjs-node'),
  wasm: loadWasm,
  cpu: loadCpu,
};

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot find module/.test(message)) return 'not installed (its install step downloads libtensorflow, which failed or was skipped)';
  if (/tfjs_binding\.node/.test(message)) return 'installed without its native library (run `npm rebuild` for it where libtensorflow can be downloaded)';
  return message.split('\n')[0] ?? message;
}

function packageVersion(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

let active: BackendInfo | undefined;

export interface BackendRequest {
  /** Backends to try, in order. Default: all, fastest first. */
  candidates?: readonly BackendName[];
  /** Skip backends without convolution gradients (fine-tuning needs them). Default false. */
  requireConvGradients?: boolean;
}

export function hasConvGradients(tfjsBackend: string): boolean {
  return tf.getKernel('Conv2DBackpropFilter', tfjsBackend) !== undefined;
}

/** The initialisation in progress; the next waits for it (see initBackend). */
let initialising: Promise<unknown> = Promise.resolve();

/**
 * Initialise the first working backend. Only one native tfjs per process can exist, so the choice is
 * made once; later calls with the same request return the same answer. Calls are taken one at a
 * time: two callers racing at start-up (a UI's engine.info and a server announcing the engine) would
 * otherwise both try wasm while it loads, and the loser would fall through to cpu and switch tfjs'
 * global backend under the winner.
 */
export function initBackend(request: BackendRequest = {}): Promise<BackendInfo> {
  const result = initialising.then(() => initBackendNow(request));
  initialising = result.catch(() => undefined);
  return result;
}

async function initBackendNow(request: BackendRequest): Promise<BackendInfo> {
  // We report the backend and its limits ourselves (`info`, engine.info); tfjs' console banners
  // ("install our node backend") would only interleave with CLI output.
  tf.env().set('PROD', true);
  registerBatchNormGradient();
  const candidates = request.candidates ?? BACKEND_NAMES;
  if (active && candidates.includes(active.backend) && (!request.requireConvGradients || active.convGradients)) {
    return active;
  }
  const envChoice = process.env.RESNET_WORKBENCH_BACKEND as BackendName | undefined;
  const order = envChoice && BACKEND_NAMES.includes(envChoice) ? [envChoice] : candidates;
  const skipped: BackendAttempt[] = [];
  for (const backend of order) {
    try {
      await LOADERS[backend]();
    } catch (error) {
      skipped.push({ backend, reason: shortReason(error) });
      continue;
    }
    const tfjsBackend = tf.getBackend();
    if (request.requireConvGradients && !hasConvGradients(tfjsBackend)) {
      skipped.push({ backend, reason: 'no convolution gradients (Conv2DBackpropFilter)' });
      continue;
    }
    const versions: Record<string, string> = { node: process.versions.node, tfjs: tf.version.tfjs };
    for (const pkg of ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
      const v = packageVersion(pkg);
      if (v && (backend === 'wasm' ? pkg.endsWith('wasm') : pkg.includes(backend === 'tensorflow' ? 'tfjs-node' : 'tfjs-node-gpu'))) versions[pkg] = v;
    }
    active = { backend, tfjsBackend, versions, convGradients: hasConvGradients(tfjsBackend), skipped };
    return active;
  }
  throw new Error(`No TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}
