/**
 * tfjs export: a layers model folder (`model.json` + 4 MB weight shards, the layout
 * `tf.loadLayersModel` and tensorflowjs_converter use), NHWC input, logits out, the export metadata
 * in `userDefinedMetadata`. Saved and loaded through our own IO handlers: tfjs's `file://` handler
 * exists only in tfjs-node.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '../engine/tf';
import { WorkbenchError } from '../../common/errors';
import { writeFileAtomic } from '../io/atomicWrite';
import { isInside } from '../io/pathInside';
import { readRegularFile } from '../io/regularFile';
import { MAX_CHECKPOINT_FILE_BYTES } from '../weights/checkpointFile';
import { metadataFromStrings, metadataToStrings, type ExportMetadata } from './exportMetadata';

/** tensorflowjs_converter's default shard size. */
const SHARD_BYTES = 4 * 1024 * 1024;

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** Write `model` with `metadata` into `folder` (which must exist): model.json and its shards. */
export async function writeTfjsModel(model: tf.LayersModel, metadata: ExportMetadata, folder: string): Promise<void> {
  model.setUserDefinedMetadata(metadataToStrings(metadata));
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs) throw new WorkbenchError('INTERNAL', 'tfjs produced no weights to save.');
  const weights = joinWeightData(artifacts.weightData);
  const count = Math.max(1, Math.ceil(weights.byteLength / SHARD_BYTES));
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  for (const [i, name] of paths.entries()) await writeFileAtomic(path.join(folder, name), weights.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES));
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: 'resnet-workbench',
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
    userDefinedMetadata: metadataToStrings(metadata),
  };
  await writeFileAtomic(path.join(folder, 'model.json'), JSON.stringify(modelJson));
}

/** model.json of a ResNet-152 is ~100 KB. */
const MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024;

/**
 * The weight shards a model.json names, read under the file-access rule: each path must stay in the
 * model's folder once links are resolved (a manifest naming '../../dev/zero' or '/etc/passwd' is
 * refused, not read), each must be a regular file, and all together are capped like a checkpoint.
 */
async function readShards(folder: string, json: tf.io.ModelJSON): Promise<Uint8Array[]> {
  const manifest: unknown = json.weightsManifest;
  if (!Array.isArray(manifest) || !manifest.every((g: { paths?: unknown }) => Array.isArray(g.paths) && g.paths.every((p) => typeof p === 'string'))) {
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `${path.join(folder, 'model.json')} has no valid weightsManifest.`);
  }
  const realFolder = await realpath(folder);
  const shards: Uint8Array[] = [];
  let total = 0;
  for (const group of manifest as { paths: string[] }[]) {
    for (const name of group.paths) {
      const joined = path.resolve(realFolder, name);
      const real = await realpath(joined).catch(() => joined);
      if (path.isAbsolute(name) || !isInside(realFolder, joined) || !isInside(realFolder, real)) {
        throw new WorkbenchError('CHECKPOINT_CORRUPT', `${path.join(folder, 'model.json')} names the weights file '${name}', which is outside the model's folder; only files in ${folder} are read.`);
      }
      const shard = await readRegularFile(real, { maxBytes: MAX_CHECKPOINT_FILE_BYTES - total, what: 'The tfjs weights file' });
      total += shard.length;
      shards.push(shard);
    }
  }
  return shards;
}

/** Load a folder written by writeTfjsModel; the caller disposes the model. */
export async function readTfjsModel(folder: string): Promise<{ model: tf.LayersModel; metadata: ExportMetadata }> {
  const jsonPath = path.join(folder, 'model.json');
  let json: tf.io.ModelJSON;
  const jsonBytes = await readRegularFile(jsonPath, { maxBytes: MAX_MODEL_JSON_BYTES, what: 'The tfjs model file' });
  try {
    json = JSON.parse(Buffer.from(jsonBytes).toString('utf8')) as tf.io.ModelJSON;
  } catch (error) {
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `${jsonPath} cannot be read as a tfjs model: ${(error as Error).message}.`);
  }
  const metadata = metadataFromStrings((json.userDefinedMetadata ?? {}) as Record<string, string>, jsonPath);
  if (!metadata) throw new WorkbenchError('BAD_INPUT', `${jsonPath} was not exported by resnet-workbench (no export metadata), so its labels and preprocessing are unknown.`);
  const shards = await readShards(folder, json);
  const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }),
  );
  return { model, metadata };
}
