/**
 * The frozen network — what runs forward only, with BatchNorm's running statistics: the backbone to
 * pooled features (linear runs: train views and evaluation), a prefix up to a stage (fine-tuning), or
 * the whole classifier (predictions, Try it). Two engines can run it:
 *
 * - ONNX Runtime (default where it loads): the graph is written in memory from the state dict by
 *   onnxGraph.ts, on the provider selectProvider chose, with intra-op threads = physical cores;
 * - TensorFlow.js on its active backend (the trainer's engine), where ONNX Runtime cannot load or
 *   when the user asks for it.
 *
 * The chain never falls back silently: `used.skipped` says what was not used and why, and every run
 * records it. Both engines take the engine's NHWC, normalized float batches.
 */
import * as tf from './tf';
import { WorkbenchError } from '../../common/errors';
import { featureChannels, RESNET_SPECS, STAGE_WIDTHS, type ResNetDepth } from '../../common/resnetSpec';
import type { InferenceEngineChoice } from '../../common/runConfig';
import type { StateDict } from '../weights/stateDict';
import { loadStateDictIntoModel } from '../weights/torchvisionWeights';
import { initBackend } from './backend';
import { resnetOnnxBytes, RESNET_STAGES, stageSide, type OnnxGraphOutput } from './onnxGraph';
import { loadOnnxRuntime, openOnnxSession, physicalCoreCount, selectProvider, type OnnxProvider, type OnnxSession } from './onnxRuntime';
import { buildResNet, buildResNetBackbone } from './resnet';


/** How the user wants frozen forward passes run. Every field defaults to automatic. */
export interface InferenceRequest {
  /** Default 'auto': ONNX Runtime where it loads, else tfjs. */
  engine?: InferenceEngineChoice;
  /** ONNX Runtime execution provider. Default 'auto' (the platform's first that passes its probe). */
  provider?: OnnxProvider | 'auto';
  /** ONNX Runtime intra-op threads. Default: physical cores. */
  threads?: number;
}

/** Which engine computed the frozen forward passes, as runs and `info` record it. */
export interface InferenceEngineUsed {
  engine: 'onnxruntime' | 'tfjs';
  /** ONNX Runtime's execution provider, or tfjs' backend. */
  provider: string;
  /** ONNX Runtime's intra-op threads; null for tfjs. */
  threads: number | null;
  version: string;
  /** Faster choices that were not used, and why. */
  skipped: { choice: string; reason: string }[];
}

export function describeEngine(used: InferenceEngineUsed): string {
  return used.engine === 'onnxruntime' ? `ONNX Runtime ${used.version} (${used.provider}, ${used.threads} threads)` : `TensorFlow.js ${used.version} (${used.provider})`;
}

export interface FrozenNetworkSpec {
  depth: ResNetDepth;
  output: OnnxGraphOutput;
  imageSize: number;
  /** Classes of the `fc` head (output 'logits'). Default: from fc.bias. */
  numClasses?: number;
}

/** A frozen network ready to run batches: NHWC normalized images in, one output row per image. */
export interface FrozenNetwork {
  readonly used: InferenceEngineUsed;
  /** Shape of one image's output ([channels], [classes] or [side, side, channels]). */
  readonly outputShape: readonly number[];
  run(images: Float32Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

function outputShapeOf(spec: FrozenNetworkSpec, dict: StateDict): number[] {
  const { output, depth } = spec;
  if (output === 'features') return [featureChannels(depth)];
  if (output === 'logits') return [spec.numClasses ?? dict.get('fc.bias')?.shape[0] ?? 0];
  const stage = RESNET_STAGES.indexOf(output.stage);
  const side = stageSide(spec.imageSize, stage);
  return [side, side, (STAGE_WIDTHS[stage] as number) * RESNET_SPECS[depth].expansion];
}

async function openOnnx(dict: StateDict, spec: FrozenNetworkSpec, request: InferenceRequest, version: string): Promise<FrozenNetwork> {
  const selection = await selectProvider({ requested: request.provider ?? 'auto' });
  const graph = resnetOnnxBytes(dict, { depth: spec.depth, output: spec.output, imageSize: spec.imageSize, layout: 'nhwc', ...(spec.numClasses !== undefined ? { numClasses: spec.numClasses } : {}) });
  const session: OnnxSession = await openOnnxSession(graph, { provider: selection.provider, ...(request.threads !== undefined ? { threads: request.threads } : {}) });
  const side = spec.imageSize;
  return {
    used: {
      engine: 'onnxruntime',
      provider: session.provider,
      threads: session.threads,
      version,
      skipped: selection.skipped.map((s) => ({ choice: `onnxruntime ${s.provider}`, reason: s.reason })),
    },
    outputShape: outputShapeOf(spec, dict),
    async run(images, count) {
      return (await session.run(images, [count, side, side, 3])).data;
    },
    dispose: () => session.dispose(),
  };
}

async function openTfjs(dict: StateDict, spec: FrozenNetworkSpec, skipped: InferenceEngineUsed['skipped']): Promise<FrozenNetwork> {
  if (typeof spec.output === 'object') throw new WorkbenchError('NOT_AVAILABLE', 'A stage prefix runs on ONNX Runtime only.');
  const backend = await initBackend();
  const model = spec.output === 'features' ? buildResNetBackbone(spec.depth) : buildResNet(spec.depth, outputShapeOf(spec, dict)[0] ?? 0);
  try {
    loadStateDictIntoModel(model, dict, { includeHead: spec.output === 'logits' });
  } catch (error) {
    model.dispose();
    throw error;
  }
  const side = spec.imageSize;
  return {
    used: { engine: 'tfjs', provider: backend.backend, threads: null, version: tf.version.tfjs, skipped },
    outputShape: outputShapeOf(spec, dict),
    async run(images, count) {
      const out = tf.tidy(() => model.predict(tf.tensor4d(images, [count, side, side, 3])) as tf.Tensor);
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    async dispose() {
      model.dispose();
    },
  };
}

/**
 * Open the frozen network on the requested engine. 'auto' takes ONNX Runtime where it loads and a
 * session opens, else tfjs, with the reason in `used.skipped`; 'onnxruntime' asked by name fails
 * with the reason instead of falling back.
 */
export async function openFrozenNetwork(dict: StateDict, spec: FrozenNetworkSpec, request: InferenceRequest = {}): Promise<FrozenNetwork> {
  const choice = request.engine ?? 'auto';
  const skipped: InferenceEngineUsed['skipped'] = [];
  if (choice !== 'tfjs') {
    const loaded = loadOnnxRuntime();
    if (loaded.ort) {
      try {
        return await openOnnx(dict, spec, request, loaded.version);
      } catch (error) {
        if (choice === 'onnxruntime' || error instanceof WorkbenchError) throw error;
        skipped.push({ choice: 'onnxruntime', reason: error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error) });
      }
    } else if (choice === 'onnxruntime') {
      throw new WorkbenchError('NOT_AVAILABLE', `ONNX Runtime was asked for but cannot run here: ${loaded.reason}.`);
    } else {
      skipped.push({ choice: 'onnxruntime', reason: loaded.reason });
    }
  }
  return openTfjs(dict, spec, skipped);
}

/**
 * What `openFrozenNetwork` would use here, without opening a model: ONNX Runtime with the provider
 * that passes its probe, or tfjs and why. For `info` and the UI's engine badge.
 */
export async function inferenceEngineHere(request: InferenceRequest = {}): Promise<InferenceEngineUsed> {
  const choice = request.engine ?? 'auto';
  const skipped: InferenceEngineUsed['skipped'] = [];
  if (choice !== 'tfjs') {
    const loaded = loadOnnxRuntime();
    if (loaded.ort) {
      const selection = await selectProvider({ requested: request.provider ?? 'auto' });
      return {
        engine: 'onnxruntime',
        provider: selection.provider,
        threads: request.threads ?? physicalCoreCount(),
        version: loaded.version,
        skipped: selection.skipped.map((s) => ({ choice: `onnxruntime ${s.provider}`, reason: s.reason })),
      };
    }
    if (choice === 'onnxruntime') throw new WorkbenchError('NOT_AVAILABLE', `ONNX Runtime was asked for but cannot run here: ${loaded.reason}.`);
    skipped.push({ choice: 'onnxruntime', reason: loaded.reason });
  }
  const backend = await initBackend();
  return { engine: 'tfjs', provider: backend.backend, threads: null, version: tf.version.tfjs, skipped };
}
