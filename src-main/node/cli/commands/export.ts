import type { Command } from 'commander';
import { WorkbenchError } from '../../../common/errors';
import { initBackend } from '../../engine/backend';
import { exportRun, parseExportFormat } from '../../export/exportRun';
import type { ExportFormat } from '../../export/modelCard';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { UsageError } from '../usage';

interface ExportOptions {
  run: string;
  format: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function registerExport(program: Command, ctx: CliContext): void {
  withJsonOption(
    program
      .command('export')
      .description('export a trained model to tfjs, ONNX, .pth or safetensors, with a model card beside it')
      .requiredOption('--run <run>', 'run folder, or run id in the runs folder')
      .requiredOption('--format <format>', 'tfjs | onnx | pth | safetensors')
      .requiredOption('--out <path>', 'file to write (a folder for tfjs)')
      .option('--force', 'replace an existing export at --out'),
  ).action(async (options: ExportOptions) => {
    const out = outputFor(ctx, options);
    let format: ExportFormat;
    try {
      format = parseExportFormat(options.format);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const started = performance.now();
    await initBackend();
    const result = await exportRun({ run: options.run, format, out: options.out, force: options.force === true }).catch((error: unknown) => {
      if (error instanceof WorkbenchError && error.code === 'ALREADY_EXISTS' && options.force !== true && error.message.endsWith('already exists.')) {
        throw new WorkbenchError('ALREADY_EXISTS', `${error.message} Add --force to replace it, or choose another --out.`);
      }
      throw error;
    });
    const seconds = (performance.now() - started) / 1000;
    out.summary({ format, path: result.path, card: result.card, classes: result.metadata.labels, depth: result.metadata.depth, seconds });
    out.line(`Exported ResNet-${result.metadata.depth} (${result.metadata.labels.length} classes) as ${format} to ${result.path}`);
    out.line(`Model card: ${result.card}`);
  });
}
