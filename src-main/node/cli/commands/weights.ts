/**
 * `resnet-workbench weights list | download DEPTH | import FILE`: torchvision's ImageNet checkpoints
 * in the app's data folder.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ResNetDepth } from '../../../common/resnetSpec';
import { weightsFolder } from '../../appPaths';
import {
  DEFAULT_WEIGHTS_VARIANT,
  findPretrainedWeights,
  parseWeightsVariant,
  shortVariantName,
  variantsFor,
  type WeightsVariant,
} from '../../weights/catalog';
import type { DownloadProgress } from '../../weights/download';
import { ensureWeights, importWeights, listImportedWeights, listWeights } from '../../weights/weightsStore';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { formatTable, type CliOutput, type ProgressBar } from '../output';
import { UsageError, parseDepth } from '../usage';

function parseVariant(value: string): WeightsVariant {
  const variant = parseWeightsVariant(value);
  if (!variant) throw new InvalidArgumentError('variant must be V1 or V2 (IMAGENET1K_V1 or IMAGENET1K_V2)');
  return variant;
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function millions(count: number): string {
  return `${(count / 1e6).toFixed(1)}M`;
}

/** A progress bar created on the first event that knows the total, fed by download progress. */
function downloadProgressReporter(out: CliOutput, label: string): { onProgress: (p: DownloadProgress) => void; stop: () => void } {
  let bar: ProgressBar | undefined;
  let announcedResume = false;
  return {
    onProgress: (p) => {
      out.event('progress', { ...p });
      if (p.resumedFrom > 0 && !announcedResume) {
        announcedResume = true;
        out.line(`resuming ${label} from ${megabytes(p.resumedFrom)} MB`);
      }
      if (p.total === undefined) return;
      // The bar counts megabytes (one decimal) so its own value/total tokens read well.
      bar ??= out.progress(label, Number(megabytes(p.total)), `${label} {bar} {percentage}% | {value}/{total} MB | ETA {eta_formatted}`);
      bar.update(Number(megabytes(p.bytes)));
    },
    stop: () => bar?.stop(),
  };
}

function registerList(weights: Command, ctx: CliContext): void {
  withJsonOption(weights.command('list').description('list torchvision ImageNet checkpoints and imported ones, and which are downloaded')).action(
    async (options: { json?: boolean }) => {
      const out = outputFor(ctx, options);
      const folder = weightsFolder();
      const pretrained = await listWeights({ folder });
      const imported = await listImportedWeights({ folder });
      out.summary({ folder, pretrained, imported });
      out.line(`weights folder: ${folder}`);
      out.line();
      out.line(
        formatTable(
          ['depth', 'variant', 'top-1 %', 'top-5 %', 'params', 'GFLOPS', 'resize/crop', 'file', 'status'],
          pretrained.map((w) => [
            w.depth,
            `${shortVariantName(w.variant)}${w.isDefault ? ' (default)' : ''}`,
            w.imagenet.top1.toFixed(3),
            w.imagenet.top5.toFixed(3),
            millions(w.parameters),
            w.gflops.toFixed(2),
            `${w.preprocessing.resizeSize}/${w.preprocessing.cropSize}`,
            w.fileName,
            w.present ? 'downloaded' : '-',
          ]),
        ),
      );
      if (imported.length > 0) {
        out.line();
        out.line('imported checkpoints:');
        out.line(
          formatTable(
            ['depth', 'classes', 'file', 'imported from'],
            imported.map((w) => [w.depth, w.numClasses, w.fileName, w.source]),
          ),
        );
      }
    },
  );
}

interface DownloadOptions {
  variant: WeightsVariant;
  json?: boolean;
}

function registerDownload(weights: Command, ctx: CliContext): void {
  withJsonOption(
    weights
      .command('download')
      .description('download a torchvision ImageNet checkpoint (resumes an interrupted download; checks its SHA-256)')
      .argument('<depth>', 'ResNet depth: 18, 34, 50, 101 or 152', parseDepth)
      .option('--variant <variant>', 'V1 (all depths) or V2 (50, 101, 152)', parseVariant, DEFAULT_WEIGHTS_VARIANT),
  ).action(async (depth: ResNetDepth, options: DownloadOptions) => {
    const out = outputFor(ctx, options);
    const entry = findPretrainedWeights(depth, options.variant);
    if (!entry) {
      const available = variantsFor(depth).map(shortVariantName).join(', ');
      throw new UsageError(`ResNet-${depth} has no ${shortVariantName(options.variant)} weights; available: ${available}`);
    }
    const reporter = downloadProgressReporter(out, entry.fileName);
    let result: Awaited<ReturnType<typeof ensureWeights>>;
    try {
      result = await ensureWeights(depth, options.variant, { folder: weightsFolder(), onProgress: reporter.onProgress });
    } finally {
      reporter.stop();
    }
    const bytes = result.download?.bytes ?? null;
    out.summary({
      depth,
      variant: entry.variant,
      torchvisionName: entry.torchvisionName,
      path: result.path,
      downloaded: result.downloaded,
      bytes,
      sha256: result.download?.sha256 ?? null,
      resumedFrom: result.download?.resumedFrom ?? 0,
    });
    const name = `ResNet-${depth} ${entry.variant}`;
    if (result.downloaded) out.line(`downloaded ${name} (${megabytes(bytes ?? 0)} MB, SHA-256 verified) to ${result.path}`);
    else out.line(`${name} is already downloaded: ${result.path}`);
  });
}

interface ImportOptions {
  depth?: ResNetDepth;
  variant?: WeightsVariant;
  json?: boolean;
}

function registerImport(weights: Command, ctx: CliContext): void {
  withJsonOption(
    weights
      .command('import')
      .description('copy a local checkpoint (.pth or .safetensors) into the weights folder, for machines without internet')
      .argument('<file>', 'a torchvision ResNet checkpoint: .pth (zip or legacy) or .safetensors')
      .option('--depth <n>', 'fail unless the checkpoint is this ResNet depth (default: read from the file)', parseDepth)
      .option('--variant <variant>', "fail unless the file is torchvision's V1 or V2 checkpoint (default: recognised by its SHA-256)", parseVariant),
  ).action(async (file: string, options: ImportOptions) => {
    const out = outputFor(ctx, options);
    const result = await importWeights(file, {
      folder: weightsFolder(),
      ...(options.depth !== undefined ? { depth: options.depth } : {}),
      ...(options.variant !== undefined ? { variant: options.variant } : {}),
    });
    const { kind, path, source, depth, numClasses, sha256, bytes, alreadyPresent } = result;
    const torchvisionName = result.kind === 'pretrained' ? result.weights.torchvisionName : null;
    out.summary({ kind, path, source, depth, numClasses, sha256, bytes, alreadyPresent, torchvisionName });
    const what = torchvisionName ? `torchvision's ${torchvisionName}` : `a ResNet-${depth} checkpoint with ${numClasses} classes`;
    if (alreadyPresent) out.line(`${source} is ${what}, already in the weights folder: ${path}`);
    else out.line(`imported ${source} (${what}, SHA-256 ${sha256.slice(0, 12)}…) as ${path}`);
  });
}

export function registerWeights(program: Command, ctx: CliContext): void {
  const weights = program
    .command('weights')
    .description('list, download or import pretrained ImageNet weights')
    .addHelpText('after', '\nWeights are kept in the app data folder; set RESNET_WORKBENCH_DATA to use another folder.')
    .action(() => {
      throw new UsageError("name a weights command: list, download or import (see 'resnet-workbench weights --help')");
    });
  registerList(weights, ctx);
  registerDownload(weights, ctx);
  registerImport(weights, ctx);
}
