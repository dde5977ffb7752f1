import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { WorkbenchError } from '../../../common/errors';
import { IMAGENET_NORMALIZATION } from '../../../common/normalization';
import type { ResNetDepth } from '../../../common/resnetSpec';
import { classifyImages } from '../../engine/classify';
import { describeEngine, openFrozenNetwork, type InferenceEngineUsed } from '../../engine/frozenNetwork';
import { loadImagenetClasses } from '../../imagenetClasses';
import { readCheckpoint } from '../../weights/checkpointFile';
import { assertCheckpointFits, describeCheckpoint } from '../../weights/torchvisionWeights';
import { classifyWithModel, loadModelForPrediction } from '../../export/loadModel';
import { writeFileAtomic } from '../../io/atomicWrite';
import type { CliOutput } from '../output';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { addInferenceOptions, inferenceFromOptions, type InferenceCommandOptions } from '../inferenceOptions';
import { parseDepth, parseFraction, parsePositiveInt, UsageError } from '../usage';
import { hasImageExtension } from '../../dataset/imageExtensions';

interface PredictOptions {
  depth?: ResNetDepth;
  weights?: string;
  model?: string;
  csv?: string;
  imageSize: number;
  crop: number;
  topK: number;
  batchSize: number;
  json?: boolean;
}

type PredictCommandOptions = PredictOptions & InferenceCommandOptions;

async function imagesBelow(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && hasImageExtension(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Files stay as given; folders become the images below them, sorted. */
export async function expandImageArguments(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (info?.isDirectory()) files.push(...(await imagesBelow(arg)));
    else files.push(arg);
  }
  return files;
}

export function registerPredict(program: Command, ctx: CliContext): void {
  withJsonOption(
    addInferenceOptions(program
      .command('predict'))
      .description('classify images with a trained run, an exported model, or a ResNet checkpoint')
      .argument('<images...>', 'image files or folders of images')
      .option('--model <run|export>', 'a run (folder or id) or an export (.pth, .safetensors, .onnx, tfjs folder): its labels and preprocessing are used')
      .option('--weights <file>', 'bare checkpoint: torchvision .pth (zip or legacy) or .safetensors, ImageNet preprocessing')
      .option('--csv <file>', 'with --model: also write file,rank,label,probability rows to this CSV file')
      .option('--depth <n>', 'ResNet depth 18|34|50|101|152 (default: read from the checkpoint)', parseDepth)
      .option('--image-size <px>', "input side in pixels, with --weights (--model uses the model's own)", parsePositiveInt, 224)
      .option('--crop <fraction>', "center-crop fraction, 1 = plain resize; with --weights (--model uses the model's own)", parseFraction, 0.875)
      .option('--top-k <k>', 'classes to list per image', parsePositiveInt, 5)
      .option('--batch-size <n>', 'images per forward pass', parsePositiveInt, 8),
  ).action(async (images: string[], options: PredictCommandOptions) => {
    const out = outputFor(ctx, options);
    if (images.length === 0) throw new UsageError('name at least one image or folder');
    if ((options.model === undefined) === (options.weights === undefined)) throw new UsageError('give exactly one of --model (a run or an export) and --weights (a bare checkpoint)');
    if (options.model !== undefined) {
      await predictWithModel(options.model, images, options, out);
      return;
    }
    if (options.csv !== undefined) throw new UsageError('--csv goes with --model');
    const started = performance.now();
    const dict = await readCheckpoint(options.weights as string);
    const found = describeCheckpoint(dict);
    const depth = options.depth ?? found.depth;
    assertCheckpointFits(dict, depth);
    const network = await openFrozenNetwork(dict, { depth, output: 'logits', imageSize: options.imageSize }, inferenceFromOptions(options));
    let failures = 0;
    let count = 0;
    try {
      const labels = found.numClasses === 1000 ? await loadImagenetClasses() : undefined;
      const files = await expandImageArguments(images);
      if (files.length === 0) throw new WorkbenchError('NOT_FOUND', `No images found in ${images.join(', ')}`);
      for await (const prediction of classifyImages(network, files, {
        imageSize: options.imageSize,
        crop: options.crop,
        normalization: IMAGENET_NORMALIZATION,
        topK: options.topK,
        batchSize: options.batchSize,
        ...(labels ? { labels } : {}),
      })) {
        count++;
        if (out.json) {
          out.summary(prediction);
        } else if ('error' in prediction) {
          out.warn(`${prediction.file}: ${prediction.error.message}`);
        } else {
          out.line(prediction.file);
          for (const t of prediction.top) out.line(`  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${t.label}`);
        }
        if ('error' in prediction) failures++;
      }
    } finally {
      await network.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    out.summary({ images: count, failed: failures, depth, classes: found.numClasses, engine: network.used, seconds });
    out.line(`${count} image(s), ${failures} failed, ResNet-${depth} on ${describeEngine(network.used)}, ${seconds.toFixed(1)} s`);
    if (failures > 0) throw new WorkbenchError('BAD_INPUT', `${failures} of ${count} image(s) could not be classified`);
  });
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `--model`: a run or an export, with its own labels, image size, crop and normalization. */
async function predictWithModel(reference: string, images: string[], options: PredictCommandOptions, out: CliOutput): Promise<void> {
  const started = performance.now();
  let engine: InferenceEngineUsed | undefined;
  const loaded = await loadModelForPrediction(reference);
  let failures = 0;
  let count = 0;
  const rows = ['file,rank,label,probability'];
  {
    const files = await expandImageArguments(images);
    if (files.length === 0) throw new WorkbenchError('NOT_FOUND', `No images found in ${images.join(', ')}`);
    const classifyOptions = { topK: options.topK, batchSize: options.batchSize, inference: inferenceFromOptions(options), onEngine: (used: InferenceEngineUsed) => (engine = used) };
    for await (const prediction of classifyWithModel(loaded, files, classifyOptions)) {
      count++;
      if ('error' in prediction) {
        failures++;
        if (out.json) out.summary({ file: prediction.file, error: prediction.error });
        else out.warn(`${prediction.file}: ${prediction.error.message}`);
        continue;
      }
      const top = prediction.top.map((t) => ({ label: t.label, probability: t.probability }));
      top.forEach((t, rank) => rows.push([csvField(prediction.file), String(rank + 1), csvField(t.label), String(t.probability)].join(',')));
      if (out.json) {
        out.summary({ file: prediction.file, top });
      } else {
        out.line(prediction.file);
        for (const t of top) out.line(`  ${(t.probability * 100).toFixed(2).padStart(6)}%  ${t.label}`);
      }
    }
  }
  if (options.csv !== undefined) await writeFileAtomic(options.csv, `${rows.join('\n')}\n`);
  const seconds = (performance.now() - started) / 1000;
  out.summary({ images: count, failed: failures, depth: loaded.depth, classes: loaded.classes.length, ...(engine ? { engine } : {}), seconds });
  out.line(`${count} image(s), ${failures} failed, ResNet-${loaded.depth} (${loaded.classes.length} classes)${engine ? ` on ${describeEngine(engine)}` : ''}, ${seconds.toFixed(1)} s`);
  if (failures > 0) throw new WorkbenchError('BAD_INPUT', `${failures} of ${count} image(s) could not be classified`);
}
