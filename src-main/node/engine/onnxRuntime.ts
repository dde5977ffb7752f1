/**
 * ONNX Runtime (onnxruntime-node) for the frozen forward passes: loading it, choosing an execution
 * provider, and sessions over graphs written in memory by onnxGraph.ts.
 *
 * Providers, first that works: CUDA on Linux x64 (its libraries are not in the npm package: they
 * load only where the user installed them), DirectML on Windows, CoreML on Apple Silicon, then the
 * CPU provider that every binary has. Each non-CPU provider is probed once per process in a worker
 * thread, on a tiny graph whose answer is checked, within a time limit. A provider that kills the
 * process while it loads (a broken driver) cannot answer: a marker file written before the probe and
 * removed after it tells the next process what happened, and that provider is skipped from then on
 * with the reason (until it is asked for by name).
 *
 * `session.run()` is synchronous native work on the calling thread: only worker processes (trainer,
 * model jobs) and the CLI use these sessions, never the process that serves a UI.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';
import { WorkbenchError } from '../../common/errors';
import type { OnnxProvider } from '../../common/runConfig';
import { appDataFolder } from '../appPaths';
import { ONNX_FLOAT, ONNX_IR_VERSION, ONNX_OPSET, onnxType } from './onnxProto';

const require = createRequire(import.meta.url);

export { ONNX_PROVIDERS, type OnnxProvider } from '../../common/runConfig';

export interface ProviderAttempt {
  provider: OnnxProvider;
  reason: string;
}

/** The providers worth trying on a platform, fastest first; always ends with 'cpu'. */
export function providerPreference(platform: NodeJS.Platform = process.platform, arch: string = process.arch): OnnxProvider[] {
  if (platform === 'linux' && arch === 'x64') return ['cuda', 'cpu'];
  if (platform === 'win32') return ['dml', 'cpu'];
  if (platform === 'darwin' && arch === 'arm64') return ['coreml', 'cpu'];
  return ['cpu'];
}

/** Physical cores (hyper-threads share one core's arithmetic units, which a convolution saturates). */
export function physicalCoreCount(): number {
  const logical = Math.max(1, os.availableParallelism());
  if (process.platform !== 'linux') return logical;
  try {
    const cores = new Set<string>();
    let physicalId = '0';
    for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      const [key, value] = line.split(':').map((s) => s.trim());
      if (key === 'physical id') physicalId = value ?? '0';
      if (key === 'core id') cores.add(`${physicalId}:${value}`);
    }
    return cores.size > 0 ? Math.min(cores.size, logical) : logical;
  } catch {
    return logical;
  }
}

let ortModule: typeof Ort | undefined;
let ortFailure: string | undefined;

/** onnxruntime-node, or why it cannot load here (no binary for this platform, a broken install). */
export function loadOnnxRuntime(): { ort: typeof Ort; version: string } | { ort?: undefined; reason: string } {
  if (process.env.RESNET_WORKBENCH_NO_ONNXRUNTIME === '1') return { reason: 'turned off by RESNET_WORKBENCH_NO_ONNXRUNTIME=1' };
  if (ortModule) return { ort: ortModule, version: ortModule.env.versions.common ?? 'unknown' };
  if (ortFailure) return { reason: ortFailure };
  try {
    ortModule = require('onnxruntime-node') as typeof Ort;
    // Failures reach us as exceptions with their reasons, which we report; ONNX Runtime's own log
    // lines (a missing CUDA library during the probe) would only interleave with CLI output.
    ortModule.env.logLevel = 'fatal';
    return { ort: ortModule, version: ortModule.env.versions.common ?? 'unknown' };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
    ortFailure =
      process.platform === 'darwin' && process.arch === 'x64'
        ? 'ONNX Runtime has no binary for macOS on Intel'
        : /Cannot find module/.test(message)
          ? 'onnxruntime-node is not installed'
          : `onnxruntime-node did not load: ${message}`;
    return { reason: ortFailure };
  }
}

/** The session option naming a provider (DirectML's is 'dml', the others their own names). */
function providerOption(provider: OnnxProvider): string {
  return provider;
}

/** A 1×3×4×4 input through a 1×1 convolution (weights 1, 2, 3 per channel) and a ReLU: the probe's graph. */
export function probeGraphBytes(): Uint8Array {
  const weight = new Float32Array([1, 2, 3]);
  const model = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'resnet-workbench',
    graph: {
      name: 'probe',
      node: [
        { name: 'conv', op_type: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [] },
        { name: 'relu', op_type: 'Relu', input: ['c'], output: ['y'], attribute: [] },
      ],
      initializer: [{ name: 'w', dims: [1, 3, 1, 1], data_type: ONNX_FLOAT, raw_data: new Uint8Array(weight.buffer) }],
      input: [{ name: 'x', type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: [1, 3, 4, 4].map((d) => ({ dim_value: d })) } } } }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: [1, 1, 4, 4].map((d) => ({ dim_value: d })) } } } }],
    },
  };
  const type = onnxType('ModelProto');
  return type.encode(type.fromObject(model)).finish();
}

/**
 * The probe, run in a worker thread (plain JavaScript, so it needs no build step): load the graph on
 * the one provider asked for, with no CPU fallback, run it and check the answer. Input channel c is
 * filled with c - 1 (so -1, 0, 1) and the answer is relu(-1 + 0 + 3) = 2 everywhere.
 */
const PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const ort = require(workerData.ortPath);
  // A missing provider library is the expected failure: its reason comes back as the probe's answer, not as a log line.
  ort.env.logLevel = 'fatal';
  const session = await ort.InferenceSession.create(workerData.graph, { executionProviders: [workerData.provider], graphOptimizationLevel: 'disabled', logSeverityLevel: 4 });
  const x = new Float32Array(48);
  for (let c = 0; c < 3; c++) x.fill(c - 1, c * 16, c * 16 + 16);
  const out = await session.run({ x: new ort.Tensor('float32', x, [1, 3, 4, 4]) });
  const y = Array.from(out.y.data);
  await session.release();
  if (y.length !== 16 || y.some((v) => Math.abs(v - 2) > 1e-5)) throw new Error('it computed a wrong answer on the probe graph');
})().then(() => parentPort.postMessage({ ok: true }), (error) => parentPort.postMessage({ ok: false, reason: String((error && error.message) || error).split('\\n')[0] }));
`;

export type ProbeResult = { ok: true } | { ok: false; reason: string };
export type ProviderProbe = (provider: OnnxProvider, timeoutMs: number) => Promise<ProbeResult>;

/** Probe a provider in a worker thread; a probe that does not answer in time is abandoned. */
export const probeInWorkerThread: ProviderProbe = (provider, timeoutMs) =>
  new Promise((resolve) => {
    const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { ortPath: require.resolve('onnxruntime-node'), provider: providerOption(provider), graph: probeGraphBytes() } });
    const finish = (result: ProbeResult): void => {
      clearTimeout(timer);
      worker.removeAllListeners();
      worker.on('error', () => undefined);
      void worker.terminate();
      resolve(result);
    };
    const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
    const timer = setTimeout(() => finish({ ok: false, reason: `it did not answer within ${limit}` }), timeoutMs);
    worker.once('message', (message: ProbeResult) => finish(message));
    worker.once('error', (error) => finish({ ok: false, reason: error.message.split('\n')[0] ?? String(error) }));
    worker.once('exit', (code) => finish({ ok: false, reason: `its probe ended with exit code ${code}` }));
  });

export interface ProviderSelection {
  provider: OnnxProvider;
  /** Faster providers that were tried and why they were not used. */
  skipped: ProviderAttempt[];
}

export interface SelectProviderOptions {
  /** A provider by name; 'auto' (default) takes the platform's preference. */
  requested?: OnnxProvider | 'auto';
  /** Where crash markers live. Default: `<app data>/engine`. */
  stateFolder?: string;
  /** How long one probe may take. Default 20 000 ms (CUDA's first load can take seconds). */
  probeTimeoutMs?: number;
  probe?: ProviderProbe;
  platform?: NodeJS.Platform;
  arch?: string;
}

const probed = new Map<OnnxProvider, ProbeResult>();

/** Forget this process's probe results (tests). */
export function forgetProviderProbes(): void {
  probed.clear();
}

function markerPath(folder: string, provider: OnnxProvider): string {
  return path.join(folder, `probing-${provider}.json`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A probe guarded by a marker file: written before, removed after. A marker left by a process that no
 * longer runs means that process died while loading the provider.
 */
async function guardedProbe(provider: OnnxProvider, folder: string, forced: boolean, probe: ProviderProbe, timeoutMs: number): Promise<ProbeResult> {
  const marker = markerPath(folder, provider);
  if (existsSync(marker)) {
    let pid = 0;
    try {
      pid = (JSON.parse(readFileSync(marker, 'utf8')) as { pid: number }).pid;
    } catch {
      // A marker torn by the crash itself still says the same.
    }
    if (pid !== process.pid && !(pid > 0 && processAlive(pid)) && !forced) {
      return { ok: false, reason: `an earlier process died while loading it${pid > 0 ? ` (pid ${pid})` : ''}; ask for it by name to try again` };
    }
  }
  mkdirSync(folder, { recursive: true });
  writeFileSync(marker, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
  const result = await probe(provider, timeoutMs);
  rmSync(marker, { force: true });
  return result;
}

/** Choose the provider: the requested one, or the platform's first that passes its probe; 'cpu' needs none. */
export async function selectProvider(options: SelectProviderOptions = {}): Promise<ProviderSelection> {
  const requested = options.requested ?? 'auto';
  const order = requested === 'auto' ? providerPreference(options.platform, options.arch) : [requested];
  const folder = options.stateFolder ?? path.join(appDataFolder(), 'engine');
  const skipped: ProviderAttempt[] = [];
  for (const provider of order) {
    if (provider === 'cpu') return { provider, skipped };
    let result = probed.get(provider);
    if (!result) {
      result = await guardedProbe(provider, folder, requested !== 'auto', options.probe ?? probeInWorkerThread, options.probeTimeoutMs ?? 20_000);
      probed.set(provider, result);
    }
    if (result.ok) return { provider, skipped };
    skipped.push({ provider, reason: result.reason });
  }
  // Asked for by name and it failed: the CPU provider is still there, and the reason is said.
  return { provider: 'cpu', skipped };
}

export interface OnnxSessionOptions {
  provider: OnnxProvider;
  /** Intra-op threads. Default: physical cores. */
  threads?: number;
}

export interface OnnxOutput {
  data: Float32Array;
  dims: number[];
}

/** An ONNX graph loaded for inference: one float input, one float output. */
export interface OnnxSession {
  readonly provider: OnnxProvider;
  readonly threads: number;
  run(input: Float32Array, dims: readonly number[]): Promise<OnnxOutput>;
  dispose(): Promise<void>;
}

export async function openOnnxSession(graph: Uint8Array, options: OnnxSessionOptions): Promise<OnnxSession> {
  const loaded = loadOnnxRuntime();
  if (!loaded.ort) throw new WorkbenchError('NOT_AVAILABLE', `ONNX Runtime cannot run here: ${loaded.reason}.`);
  const { ort } = loaded;
  const threads = options.threads ?? physicalCoreCount();
  const providers = options.provider === 'cpu' ? ['cpu'] : [providerOption(options.provider), 'cpu'];
  const session = await ort.InferenceSession.create(graph, {
    executionProviders: providers,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputName = session.inputNames[0] ?? 'input';
  const outputName = session.outputNames[0] ?? 'output';
  return {
    provider: options.provider,
    threads,
    async run(input, dims) {
      const feeds = { [inputName]: new ort.Tensor('float32', input, [...dims]) };
      const result = await session.run(feeds);
      const out = result[outputName];
      if (!out || !(out.data instanceof Float32Array)) throw new WorkbenchError('INTERNAL', 'ONNX Runtime returned no float output.');
      return { data: out.data, dims: [...out.dims] };
    },
    dispose: () => session.release(),
  };
}
