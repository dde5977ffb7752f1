/**
 * Fine-tuning splits the network where training starts: the frozen prefix (stem up to the last
 * frozen stage, BatchNorm on its running statistics) only ever runs forward, so it runs without a
 * gradient tape — in whatever engine computes a frozen forward pass fastest — and only the trainable
 * stages and the head run in tfjs under `tf.variableGrads`. The result is the same mathematics: the
 * frozen stages have no parameters to update and their output is all the trainable ones see.
 *
 * The trainable part is not a second copy of the weights: its layers are the full model's layers
 * applied again to a new input (shared layers), so the optimizer updates the full model and its
 * state dict (checkpoints, export) stays the complete torchvision network.
 */
import * as tf from '../engine/tf';
import { WorkbenchError } from '../../common/errors';
import { RESNET_SPECS, type ResNetDepth } from '../../common/resnetSpec';
import type { UnfreezeDepth } from '../../common/runConfig';
import { openFrozenNetwork, type InferenceEngineUsed, type InferenceRequest } from '../engine/frozenNetwork';
import { RESNET_STAGES } from '../engine/onnxGraph';
import type { StateDict } from '../weights/stateDict';

/** Runs the frozen stages forward: normalized NHWC images in, the first trainable stage's input out. */
export interface FrozenPrefix {
  /** What computes it, and what was not used and why, for the run's record. */
  readonly used: InferenceEngineUsed;
  /** `images` is [count, size, size, 3] row-major; the result is a tensor the caller disposes. */
  run(images: Float32Array, count: number, size: number): Promise<tf.Tensor4D>;
  dispose(): void | Promise<void>;
}

/** Makes the prefix that ends at `boundary`, given the full model (for a tfjs fallback). */
export type FrozenPrefixFactory = (boundary: PrefixBoundary, model: tf.LayersModel) => Promise<FrozenPrefix>;

export interface PrefixBoundary {
  /** Name of the last frozen layer, whose output the trainable part takes. */
  layer: string;
  /** Number of whole stages (layer1..layer4) the prefix runs: 3 for `--unfreeze layer4`. */
  stages: 2 | 3;
}

/** Where the frozen prefix ends for each fine-tune depth; null when everything trains. */
export function prefixBoundary(depth: ResNetDepth, unfreeze: UnfreezeDepth): PrefixBoundary | null {
  if (unfreeze === 'all') return null;
  const stages = unfreeze === 'layer4' ? 3 : 2;
  const blocks = RESNET_SPECS[depth].layers[stages - 1] as number;
  return { layer: `layer${stages}.${blocks - 1}.relu`, stages };
}

/** The network as the fine-tune loop sees it. */
export interface FineTuneNetwork {
  /** The part that trains (and the head): its input is `inputs(...)`'s output. */
  readonly trainable: tf.LayersModel;
  /** The frozen prefix in use, or null when the whole network runs in `trainable`. */
  readonly prefix: FrozenPrefix | null;
  /** Input of `trainable` for a batch of images: a tensor the caller disposes. */
  inputs(images: Float32Array, count: number, size: number): Promise<tf.Tensor4D>;
  /** Frees the trainable view and the prefix; the full model stays (the caller owns it). */
  dispose(): Promise<void>;
}

function originalOutput(layer: tf.layers.Layer): tf.SymbolicTensor {
  // `layer.output` throws once a layer has a second inbound node; the model's own call is node 0.
  const node = layer.inboundNodes[0];
  const output = node?.outputTensors[0];
  if (!output) throw new WorkbenchError('INTERNAL', `Layer ${layer.name} has not been called on an input`);
  return output;
}

/**
 * The layers after `boundary`, applied again to a new input of the boundary's shape: a model that
 * shares the full model's weights. Layers are in the full model's topological order.
 */
export function trainableSuffix(model: tf.LayersModel, boundary: string): tf.LayersModel {
  const at = model.layers.findIndex((layer) => layer.name === boundary);
  if (at < 0) throw new WorkbenchError('INTERNAL', `Model ${model.name} has no layer ${boundary} to split at`);
  const boundaryOutput = originalOutput(model.layers[at] as tf.layers.Layer);
  const channels = boundaryOutput.shape[3];
  if (typeof channels !== 'number') throw new WorkbenchError('INTERNAL', `Layer ${boundary}'s output has no channel count`);
  const input = tf.input({ shape: [null, null, channels], name: `${boundary}.features` });
  const mapped = new Map<tf.SymbolicTensor, tf.SymbolicTensor>([[boundaryOutput, input]]);
  let last: tf.SymbolicTensor = input;
  for (const layer of model.layers.slice(at + 1)) {
    const node = layer.inboundNodes[0];
    if (!node) continue;
    const inputs = node.inputTensors.map((t) => mapped.get(t));
    if (inputs.some((t) => t === undefined)) {
      throw new WorkbenchError('INTERNAL', `Layer ${layer.name} after ${boundary} reads a tensor from before it: ${model.name} cannot be split there`);
    }
    last = layer.apply(inputs.length === 1 ? (inputs[0] as tf.SymbolicTensor) : (inputs as tf.SymbolicTensor[])) as tf.SymbolicTensor;
    mapped.set(originalOutput(layer), last);
  }
  return tf.model({ inputs: input, outputs: last, name: `${model.name}_from_${boundary}` });
}

/**
 * The prefix on tfjs itself: the full model run to the boundary layer, in inference mode and outside
 * any gradient tape. The fallback where no faster engine for frozen passes is available.
 */
export function tfjsPrefix(model: tf.LayersModel, boundary: string, skipped: InferenceEngineUsed['skipped'] = []): FrozenPrefix {
  const layer = model.layers.find((l) => l.name === boundary);
  if (!layer) throw new WorkbenchError('INTERNAL', `Model ${model.name} has no layer ${boundary} to split at`);
  const outputName = originalOutput(layer).name;
  return {
    used: { engine: 'tfjs', provider: tf.getBackend(), threads: null, version: tf.version.tfjs, skipped },
    run: async (images, count, size) =>
      tf.tidy(() => model.execute(tf.tensor4d(images, [count, size, size, 3]), outputName) as tf.Tensor4D),
    dispose: () => {},
  };
}

/**
 * The prefix on the engine for frozen passes (engine/frozenNetwork.ts: ONNX Runtime where it loads),
 * from `dict` — which must hold the model's own frozen weights. Where that engine cannot run a stage
 * prefix and the user did not insist on it, tfjs runs it, and the reason is recorded.
 */
export function frozenEnginePrefix(dict: StateDict, depth: ResNetDepth, imageSize: number, request: InferenceRequest = {}): FrozenPrefixFactory {
  return async (boundary, model) => {
    if (request.engine === 'tfjs') return tfjsPrefix(model, boundary.layer);
    let network;
    try {
      network = await openFrozenNetwork(dict, { depth, output: { stage: RESNET_STAGES[boundary.stages - 1] as (typeof RESNET_STAGES)[number] }, imageSize }, request);
    } catch (error) {
      if (request.engine === 'onnxruntime') throw error;
      const reason = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
      return tfjsPrefix(model, boundary.layer, [{ choice: 'onnxruntime', reason }]);
    }
    const opened = network;
    const outputShape = opened.outputShape as [number, number, number];
    return {
      used: opened.used,
      async run(images, count, size) {
        if (size !== imageSize) throw new WorkbenchError('INTERNAL', `The frozen prefix was built for ${imageSize} px images, not ${size} px`);
        return tf.tensor4d(await opened.run(images, count), [count, ...outputShape]);
      },
      dispose: () => opened.dispose(),
    };
  };
}

export interface FineTuneNetworkOptions {
  /** Run the frozen prefix forward-only, apart from the trainable stages. Default true. */
  split?: boolean;
  /** Makes the frozen prefix; default: `tfjsPrefix` on the model itself. */
  prefix?: FrozenPrefixFactory;
}

/** The network for fine-tuning `unfreeze` of a ResNet built by `buildResNet` (owned by the caller). */
export async function fineTuneNetwork(model: tf.LayersModel, depth: ResNetDepth, unfreeze: UnfreezeDepth, options: FineTuneNetworkOptions = {}): Promise<FineTuneNetwork> {
  const boundary = options.split === false ? null : prefixBoundary(depth, unfreeze);
  if (!boundary) {
    return {
      trainable: model,
      prefix: null,
      inputs: async (images, count, size) => tf.tensor4d(images, [count, size, size, 3]),
      dispose: async () => {},
    };
  }
  const prefix = options.prefix ? await options.prefix(boundary, model) : tfjsPrefix(model, boundary.layer);
  let trainable: tf.LayersModel;
  try {
    trainable = trainableSuffix(model, boundary.layer);
  } catch (error) {
    await prefix.dispose();
    throw error;
  }
  return {
    trainable,
    prefix,
    inputs: (images, count, size) => prefix.run(images, count, size),
    dispose: async () => {
      // Drops the suffix's references to the shared layers; the weights live on in `model`.
      trainable.dispose();
      await prefix.dispose();
    },
  };
}
