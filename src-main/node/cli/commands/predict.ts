import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { WorkbenchError } from '../../../common/errors';
import { IMAGENET_NORMALIZATION } from '../../../common/normalization';
import type { ResNetDepth } from '../../../common/resnetSpec';
import { initBackend } from '../../engine/backend';
import { classifyImages } from '../../engine/classify';
import { buildResNet } from '../../engine/resnet';
import { loadImagenetClasses } from '../../imagenetClasses';
import { readCheckpoint } from '../../weights/checkpointFile';
import { assertCheckpointFits, describeCheckpoint, loadStateDictIntoModel } from '../../weights/torchvisionWeights';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { parseDepth, parseFraction, parsePositiveInt, UsageError } from '../usage';

interface PredictOptions {
  depth?: ResNetDepth;
  weights: string;
  imageSize: number;
  crop: number;
  topK: number;
  batchSize: number;
  json?: boolean;
}

/** Extensions looked for when a folder is given; files named explicitly are sniffed by content instead. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp']);

async function imagesBelow(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
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
    program
      .command('predict')
      .description('classify images with a ResNet checkpoint (.pth or .safetensors)')
      .argument('<images...>', 'image files or folders of images')
      .requiredOption('--weights <file>', 'checkpoint file: torchvision .pth (zip or legacy) or .safetensors')
      .option('--depth <n>', 'ResNet depth 18|34|50|101|152 (default: read from the checkpoint)', parseDepth)
      .option('--image-size <px>', 'input side in pixels', parsePositiveInt, 224)
      .option('--crop <fraction>', 'center-crop fraction; 1 is a plain resize', parseFraction, 0.875)
      .option('--top-k <k>', 'classes to list per image', parsePositiveInt, 5)
      .option('--batch-size <n>', 'images per forward pass', parsePositiveInt, 8),
  ).action(async (images: string[], options: PredictOptions) => {
    const out = outputFor(ctx, options);
    if (images.length === 0) throw new UsageError('name at least one image or folder');
    const started = performance.now();
    const dict = await readCheckpoint(options.weights);
    const found = describeCheckpoint(dict);
    const depth = options.depth ?? found.depth;
    assertCheckpointFits(dict, depth);
    const backend = await initBackend();
    const model = buildResNet(depth, found.numClasses);
    let failures = 0;
    let count = 0;
    try {
      loadStateDictIntoModel(model, dict, { includeHead: true });
      const labels = found.numClasses === 1000 ? await loadImagenetClasses() : undefined;
      const files = await expandImageArguments(images);
      if (files.length === 0) throw new WorkbenchError('NOT_FOUND', `No images found in ${images.join(', ')}`);
      for await (const prediction of classifyImages(model, files, {
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
      model.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    out.summary({ images: count, failed: failures, depth, classes: found.numClasses, backend: backend.backend, seconds });
    out.line(`${count} image(s), ${failures} failed, ResNet-${depth} on ${backend.backend}, ${seconds.toFixed(1)} s`);
    if (failures > 0) throw new WorkbenchError('BAD_INPUT', `${failures} of ${count} image(s) could not be classified`);
  });
}
