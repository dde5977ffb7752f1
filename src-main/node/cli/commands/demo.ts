/**
 * `resnet-workbench demo`: the whole workflow on the bundled sample data set (Fashion-MNIST, 5
 * classes, 500 images). Uses ImageNet weights when they are cached or can be downloaded, and says
 * clearly when it has to start from random weights instead; ends with an ONNX export and its card.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { resolveRunConfig } from '../../../common/runConfig';
import { exportRun } from '../../export/exportRun';
import { sampleDatasetFolder } from '../../runtimePaths';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { printReport, reportSummary, runWithOutput } from './train';
import { parseDepth, parsePositiveInt } from '../usage';
import type { ResNetDepth } from '../../../common/resnetSpec';

/** resources/sample-fashion, from the sources, the build or the packaged app. */
export const SAMPLE_DATASET = sampleDatasetFolder();

interface DemoOptions {
  depth?: ResNetDepth;
  epochs?: number;
  imageSize?: number;
  out?: string;
  json?: boolean;
}

export function registerDemo(program: Command, ctx: CliContext): void {
  withJsonOption(
    program
      .command('demo')
      .description('train on the bundled sample data set (Fashion-MNIST, 5 classes) and show the results')
      .option('--depth <n>', 'ResNet depth (default 18)', parseDepth)
      .option('--epochs <n>', 'epochs (default 10)', parsePositiveInt)
      .option('--image-size <px>', 'input side in pixels (default 112: the 28-pixel images gain nothing from more)', parsePositiveInt)
      .option('--out <dir>', 'run folder (default: a new folder under the app data folder)'),
  ).action(async (options: DemoOptions) => {
    const out = outputFor(ctx, options);
    out.line(`demo: ${SAMPLE_DATASET} (Fashion-MNIST sample, MIT licence)`);
    const config = resolveRunConfig({
      trainDir: path.join(SAMPLE_DATASET, 'train'),
      testDir: path.join(SAMPLE_DATASET, 'test'),
      depth: options.depth ?? 18,
      epochs: options.epochs ?? 10,
      imageSize: options.imageSize ?? 112,
      crop: 1,
      weights: 'imagenet',
    });
    const report = await runWithOutput(out, { config, allowRandomFallback: true, ...(options.out ? { outFolder: options.out } : {}) });
    if (report.weights === 'none') {
      out.warn(
        `note: no ImageNet weights were available, so this run started from random weights. Run 'resnet-workbench weights download ${config.depth}' ` +
          `on a machine with internet access (or 'weights import FILE' with a copy of torchvision's checkpoint) and run the demo again.`,
      );
    }
    printReport(out, report);
    // The last step of the workflow: a file other tools load, with its model card.
    const exported = await exportRun({ run: report.folder, format: 'onnx', out: path.join(report.folder, 'model.onnx') });
    out.line(`exported: ${exported.path} (ONNX, opset 13), model card: ${exported.card}`);
    out.line(`try it:   resnet-workbench predict --model ${exported.path} ${path.join(SAMPLE_DATASET, 'test', 'bag')}`);
    out.summary({ ...reportSummary(report), exported: { format: 'onnx', path: exported.path, card: exported.card } });
  });
}
