/**
 * `predict --model X`: X may be a run (folder or id), or anything `export` wrote — a .pth or
 * .safetensors file, an .onnx file, a tfjs folder. Whatever it is, the result is one torchvision state
 * dict with the labels and preprocessing that belong to it, run by the frozen-network engine
 * (ONNX Runtime where it loads, else tfjs).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import type * as tf from '../engine/tf';
import { classifyImages, type ImagePrediction } from '../engine/classify';
import { openFrozenNetwork, type InferenceEngineUsed, type InferenceRequest } from '../engine/frozenNetwork';
import { buildResNet } from '../engine/resnet';
import { readRegularFile } from '../io/regularFile';
import { readCheckpointWithMetadata } from '../weights/checkpointFile';
import type { StateDict } from '../weights/stateDict';
import { assertCheckpointFits, describeCheckpoint, extractStateDict, loadStateDictIntoModel } from '../weights/torchvisionWeights';
import { metadataFromStrings, type ExportMetadata } from './exportMetadata';
import { loadRunModel, type LoadedModel, type LoadRunOptions } from './loadRunModel';
import { metadataStringsFromCard } from './modelCard';
import { readOnnxModel } from './onnxExport';
import { readTfjsModel } from './tfjsExport';

function fromMetadata(dict: StateDict, metadata: ExportMetadata): LoadedModel {
  return { dict, classes: metadata.labels, depth: metadata.depth, imageSize: metadata.imageSize, crop: metadata.crop, mean: metadata.mean, std: metadata.std, metadata };
}

/** A torchvision state dict plus export metadata as a classifier; checks the two agree. */
export function classifierFromStateDict(dict: StateDict, metadata: ExportMetadata, label: string): LoadedModel {
  const found = describeCheckpoint(dict);
  if (found.depth !== metadata.depth || found.numClasses !== metadata.labels.length) {
    throw new WorkbenchError(
      'CHECKPOINT_MISMATCH',
      `${label} holds a ResNet-${found.depth} with ${found.numClasses} outputs, but its metadata names a ResNet-${metadata.depth} with ${metadata.labels.length} labels.`,
    );
  }
  assertCheckpointFits(dict, metadata.depth, metadata.labels.length);
  return fromMetadata(dict, metadata);
}

/** The loaded classifier as a tfjs model (for the tfjs export); the caller disposes it. */
export function classifierModel(loaded: LoadedModel): tf.LayersModel {
  const model = buildResNet(loaded.depth, loaded.classes.length);
  try {
    loadStateDictIntoModel(model, loaded.dict, { includeHead: true });
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

async function cardMetadata(file: string): Promise<ExportMetadata | undefined> {
  // The card beside the checkpoint, read under the same rule as any file (a regular file, capped).
  const text = await readRegularFile(`${file}.md`, { maxBytes: 4 * 1024 * 1024, what: 'The model card' })
    .then((bytes) => Buffer.from(bytes).toString('utf8'))
    .catch(() => undefined);
  const strings = text === undefined ? undefined : metadataStringsFromCard(text);
  return strings ? metadataFromStrings(strings, `${file}.md`) : undefined;
}

async function loadCheckpointFile(file: string): Promise<LoadedModel> {
  const { tensors, metadata } = await readCheckpointWithMetadata(file);
  // safetensors carry their metadata inside; a .pth has none, so its model card beside it is read.
  const found = metadataFromStrings(metadata, file) ?? (await cardMetadata(file));
  if (!found) {
    throw new WorkbenchError(
      'BAD_INPUT',
      `${file} has no labels or preprocessing with it (no export metadata inside and no model card at ${file}.md). Use --weights for a bare checkpoint, or re-export the run.`,
    );
  }
  return classifierFromStateDict(tensors, found, file);
}

/** Load a run or an exported model as a classifier. */
export async function loadModelForPrediction(reference: string, options: LoadRunOptions = {}): Promise<LoadedModel> {
  const info = await stat(reference).catch(() => undefined);
  if (info?.isDirectory()) {
    if (await stat(path.join(reference, 'model.json')).catch(() => undefined)) {
      const { model, metadata } = await readTfjsModel(reference);
      try {
        return fromMetadata(extractStateDict(model, metadata.depth), metadata);
      } finally {
        model.dispose();
      }
    }
    return loadRunModel(reference, options);
  }
  if (info?.isFile()) {
    if (path.extname(reference).toLowerCase() === '.onnx') {
      const { dict, metadata } = await readOnnxModel(reference);
      return classifierFromStateDict(dict, metadata, reference);
    }
    return loadCheckpointFile(reference);
  }
  // Not a path: a run id under the runs folder (loadRunModel names both places it looked).
  return loadRunModel(reference, options);
}

export interface ClassifyWithModelOptions {
  topK: number;
  batchSize?: number;
  inference?: InferenceRequest;
  /** Told which engine runs the model, once it is open. */
  onEngine?: (used: InferenceEngineUsed) => void;
}

/** Classify files with a loaded model, using the model's own labels and preprocessing. */
export async function* classifyWithModel(loaded: LoadedModel, files: readonly string[], options: ClassifyWithModelOptions): AsyncGenerator<ImagePrediction> {
  const network = await openFrozenNetwork(loaded.dict, { depth: loaded.depth, output: 'logits', imageSize: loaded.imageSize, numClasses: loaded.classes.length }, options.inference);
  try {
    options.onEngine?.(network.used);
    yield* classifyImages(network, files, {
      imageSize: loaded.imageSize,
      crop: loaded.crop,
      normalization: { mean: loaded.mean, std: loaded.std },
      topK: options.topK,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      labels: loaded.classes,
    });
  } finally {
    await network.dispose();
  }
}
