/**
 * `resnet-workbench train`: a training run from the command line. Ctrl-C stops at the next batch
 * boundary and keeps the last good checkpoint; `--resume RUN` continues it.
 */
import { Option, type Command } from 'commander';
import { WorkbenchError } from '../../../common/errors';
import { resolveRunConfig, TRAINING_MODES, UNFREEZE_DEPTHS, type RunConfigInput } from '../../../common/runConfig';
import type { RunEvent } from '../../../common/runEvents';
import { SCHEDULES } from '../../../common/schedules';
import { trainRun, type RunReport, type TrainRunOptions } from '../../train/trainer';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { formatTable, type CliOutput, type ProgressBar } from '../output';
import { describeEngine } from '../../engine/frozenNetwork';
import { addInferenceOptions } from '../inferenceOptions';
import { parseDepth, parseFraction, parsePositiveInt, UsageError } from '../usage';

interface TrainCommandOptions {
  train?: string;
  test?: string;
  valSplit?: number;
  depth?: RunConfigInput['depth'];
  weights?: string;
  weightsVariant?: 'V1' | 'V2';
  mode?: RunConfigInput['mode'];
  unfreeze?: RunConfigInput['unfreeze'];
  epochs?: number;
  lr?: number;
  batchSize?: number;
  optimizer?: 'adam' | 'sgd';
  momentum?: number;
  weightDecay?: number;
  schedule?: RunConfigInput['schedule'];
  imageSize?: number;
  crop?: number;
  augment?: boolean;
  views?: number;
  patience?: number;
  seed?: number;
  out?: string;
  resume?: string;
  json?: boolean;
  engine?: RunConfigInput['inferenceEngine'];
  provider?: RunConfigInput['provider'];
  threads?: number;
}

function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`'${value}' is not a number`);
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new UsageError(`seed must be a whole number from 0 to ${2 ** 32 - 1}`);
  return n;
}

/** Adds the training options shared by `train` and `demo`. */
export function addTrainingOptions(command: Command): Command {
  const withOptions = command
    .option('--depth <n>', 'ResNet depth 18|34|50|101|152 (default 18)', parseDepth)
    .option('--weights <source>', "backbone weights: imagenet, none, or a .pth/.safetensors file (default imagenet)")
    .addOption(new Option('--weights-variant <v>', 'torchvision ImageNet weights (default V1)').choices(['V1', 'V2']))
    .addOption(new Option('--mode <mode>', 'linear: frozen backbone, new head; finetune: also train backbone stages (default linear)').choices(TRAINING_MODES))
    .addOption(new Option('--unfreeze <stages>', 'fine-tune depth (default layer4)').choices(UNFREEZE_DEPTHS))
    .option('--epochs <n>', 'epochs (default 10)', parsePositiveInt)
    .option('--lr <x>', 'learning rate of the head (default 0.001)', parseNumber)
    .option('--batch-size <n>', 'batch size (default 32)', parsePositiveInt)
    .addOption(new Option('--optimizer <name>', 'optimizer (default adam)').choices(['adam', 'sgd']))
    .option('--momentum <x>', 'SGD momentum (default 0.9)', parseNumber)
    .option('--weight-decay <x>', 'L2 weight decay (default 0)', parseNumber)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule (default constant)').choices(SCHEDULES))
    .option('--image-size <px>', 'input side in pixels (default 224)', parsePositiveInt)
    .option('--crop <fraction>', 'eval center-crop fraction; 1 is a plain resize (default 0.875)', parseFraction)
    .option('--augment', 'random resized crops and flips for training images (default on)')
    .option('--no-augment', 'train on the clean eval view only')
    .option('--views <n>', 'linear mode: views per training image, the first clean, the rest augmented (default 2)', parsePositiveInt)
    .option('--patience <n>', 'stop after this many epochs without a better validation accuracy', parsePositiveInt)
    .option('--seed <n>', 'seed for shuffling, augmentation, splits and initialisation (default 0)', parseSeed)
    .option('--out <dir>', 'run folder (default: a new folder under the app data folder)');
  return addInferenceOptions(withOptions);
}

export function configFromOptions(options: TrainCommandOptions, trainDir: string, testDir: string | undefined): RunConfigInput {
  const defined = <T>(value: T | undefined, key: string): Record<string, T> => (value === undefined ? {} : { [key]: value });
  return {
    trainDir,
    ...defined(testDir, 'testDir'),
    ...defined(options.valSplit, 'valSplit'),
    ...defined(options.depth, 'depth'),
    ...defined(options.weights, 'weights'),
    ...defined(options.weightsVariant === undefined ? undefined : options.weightsVariant === 'V2' ? 'IMAGENET1K_V2' : 'IMAGENET1K_V1', 'weightsVariant'),
    ...defined(options.mode, 'mode'),
    ...defined(options.unfreeze, 'unfreeze'),
    ...defined(options.epochs, 'epochs'),
    ...defined(options.lr, 'lr'),
    ...defined(options.batchSize, 'batchSize'),
    ...defined(options.optimizer, 'optimizer'),
    ...defined(options.momentum, 'momentum'),
    ...defined(options.weightDecay, 'weightDecay'),
    ...defined(options.schedule, 'schedule'),
    ...defined(options.imageSize, 'imageSize'),
    ...defined(options.crop, 'crop'),
    ...defined(options.augment, 'augment'),
    ...defined(options.views, 'views'),
    ...defined(options.patience, 'patience'),
    ...defined(options.seed, 'seed'),
    ...defined(options.engine, 'inferenceEngine'),
    ...defined(options.provider, 'provider'),
    ...defined(options.threads, 'threads'),
  } as RunConfigInput;
}

function pct(x: number | null): string {
  return x === null ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`;
}

/** Human output of run events: a bar while features are computed, a line per epoch. */
function humanReporter(out: CliOutput): (event: RunEvent) => void {
  let bar: ProgressBar | undefined;
  return (e) => {
    switch (e.event) {
      case 'run.started':
        out.line(`run ${e.payload.runId} in ${e.payload.folder}`);
        out.line(`${e.payload.classes.length} classes, ${e.payload.trainImages} train and ${e.payload.evalImages} ${e.payload.evalSplit} images, ${e.payload.backend} backend, weights: ${e.payload.weights}`);
        if (e.payload.inference) {
          out.line(`frozen backbone on ${describeEngine(e.payload.inference)}`);
          for (const s of e.payload.inference.skipped) out.line(`  not used: ${s.choice}: ${s.reason}`);
        }
        break;
      case 'run.progress':
        if (e.payload.message) out.line(`  ${e.payload.message}`);
        if (e.payload.phase === 'features') {
          bar ??= out.progress('features', e.payload.total);
          bar.update(e.payload.done);
          if (e.payload.done >= e.payload.total) {
            bar.stop();
            bar = undefined;
          }
        }
        break;
      case 'run.epoch': {
        const p = e.payload;
        out.line(
          `epoch ${String(p.epoch).padStart(3)}/${p.epochs}  loss ${p.trainLoss.toFixed(4)}  acc ${pct(p.trainAccuracy)}  ` +
            `eval loss ${p.evalLoss === null ? '  -   ' : p.evalLoss.toFixed(4)}  eval acc ${pct(p.evalAccuracy)}  lr ${p.lr.toExponential(2)}  ${p.seconds.toFixed(1)} s${p.best ? '  *best' : ''}`,
        );
        break;
      }
      default:
        break;
    }
  };
}

export function printReport(out: CliOutput, report: RunReport): void {
  const ev = report.evaluation;
  out.line();
  out.line(`${report.evalSplit} accuracy ${pct(report.testAccuracy).trim()} (best epoch ${report.bestEpoch} of ${report.epochsRun}${report.stoppedEarly ? ', stopped early' : ''}), top-${ev.topK.k} ${pct(ev.topK.accuracy).trim()}, macro F1 ${ev.macroF1.toFixed(3)}`);
  if (report.lastEpochAccuracy !== null && report.bestEpoch !== report.epochsRun) {
    out.line(`(the best epoch is chosen on these images, so that figure is optimistic; the last epoch scored ${pct(report.lastEpochAccuracy).trim()})`);
  }
  out.line();
  out.line('confusion matrix (rows: actual, columns: predicted)');
  const labels = ev.confusionMatrix.labels;
  out.line(formatTable(['', ...labels.map((_, i) => `${i}`)], ev.confusionMatrix.matrix.map((row, i) => [`${i} ${labels[i]}`, ...row])));
  out.line();
  out.line(formatTable(['class', 'precision', 'recall', 'f1', 'support'], ev.perClass.map((c) => [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support])));
  for (const notice of report.notices) out.line(`note: ${notice}`);
  out.line();
  out.line(`run folder: ${report.folder} (${report.seconds.toFixed(1)} s)`);
}

export function reportSummary(report: RunReport): Record<string, unknown> {
  const ev = report.evaluation;
  return {
    ok: true,
    runId: report.runId,
    folder: report.folder,
    classes: report.classes,
    evalSplit: report.evalSplit,
    testAccuracy: report.testAccuracy,
    lastEpochAccuracy: report.lastEpochAccuracy,
    topK: ev.topK,
    macroF1: ev.macroF1,
    confusionMatrix: ev.confusionMatrix,
    perClass: ev.perClass,
    misclassified: ev.misclassified.slice(0, 20),
    bestEpoch: report.bestEpoch,
    epochsRun: report.epochsRun,
    stoppedEarly: report.stoppedEarly,
    seconds: report.seconds,
    backend: report.backend,
    weights: report.weights,
    notices: report.notices,
  };
}

/** Run with Ctrl-C wired to a clean stop; events go to the output as they come. */
export async function runWithOutput(out: CliOutput, options: Omit<TrainRunOptions, 'signal' | 'onEvent'>): Promise<RunReport> {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    out.warn('stopping at the next batch boundary (Ctrl-C again to quit at once)...');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const human = humanReporter(out);
  try {
    return await trainRun({
      ...options,
      signal: controller.signal,
      onEvent: (e) => {
        out.event(e.event, e.payload);
        human(e);
      },
    });
  } catch (error) {
    if (error instanceof WorkbenchError && (error.code === 'CANCELLED' || error.code === 'TRAINING_DIVERGED')) {
      throw new WorkbenchError(error.code, `${error.message} Continue with: resnet-workbench train --resume <run folder>`);
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function registerTrain(program: Command, ctx: CliContext): void {
  const command = program
    .command('train')
    .description('train a ResNet on an image folder: frozen backbone and a new head (linear), or fine-tuning')
    .option('--train <dir>', 'train folder, one subfolder per class')
    .option('--test <dir>', 'test folder with the same class subfolders')
    .option('--val-split <fraction>', 'without --test: fraction of each class held out for validation (default 0.2)', parseFraction)
    .option('--resume <run>', 'continue a cancelled or crashed run (its folder); its saved settings are used');
  withJsonOption(addTrainingOptions(command)).action(async (options: TrainCommandOptions) => {
    const out = outputFor(ctx, options);
    if (!options.resume && !options.train) throw new UsageError('--train DIR is required (or --resume RUN)');
    let config;
    try {
      config = resolveRunConfig(configFromOptions(options, options.train ?? '', options.test));
    } catch (error) {
      if (options.resume) config = undefined;
      else throw new UsageError((error as Error).message.split('\n')[0] ?? 'invalid options');
    }
    const report = await runWithOutput(out, {
      // With --resume the run's own config.json is used; this one is only a placeholder.
      config: config ?? resolveRunConfig({ trainDir: '.' }),
      ...(options.out ? { outFolder: options.out } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
    });
    printReport(out, report);
    out.summary(reportSummary(report));
  });
}
