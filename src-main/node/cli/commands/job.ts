import type { Command } from 'commander';
import { exportJob, readConfigFile } from '../../job/exportJob';
import { importJob } from '../../job/importJob';
import { outputFor, withJsonOption, type CliContext } from '../context';
import { UsageError } from '../usage';

interface JobExportOptions {
  run?: string;
  config?: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function registerJob(program: Command, ctx: CliContext): void {
  const job = program.command('job').description('hand a run to PyTorch (torchrun, Slurm, Kubernetes) and bring the result back');
  withJsonOption(
    job
      .command('export')
      .description('write a folder that trains the run with torchrun: train.py, launch.sh, requirements.txt, README, its config, splits and starting weights')
      .option('--run <run>', 'a run (folder or id): its configuration')
      .option('--config <file>', "a run configuration as JSON (a run folder's config.json works too)")
      .requiredOption('--out <folder>', 'the job folder to write (new or empty)')
      .option('--force', 'replace an earlier job at --out'),
  ).action(async (options: JobExportOptions) => {
    const out = outputFor(ctx, options);
    if ((options.run === undefined) === (options.config === undefined)) throw new UsageError('give exactly one of --run and --config');
    const result = await exportJob({
      ...(options.run !== undefined ? { run: options.run } : { config: await readConfigFile(options.config as string) }),
      out: options.out,
      force: options.force === true,
    });
    out.summary({ folder: result.folder, id: result.id, files: result.files, images: result.images, weights: result.weights });
    out.line(`Wrote the job ${result.id} to ${result.folder}`);
    const test = result.images.test === null ? '' : `, ${result.images.test} test`;
    out.line(`  ResNet-${result.config.depth}, ${result.config.mode}, ${result.images.train} train / ${result.images.validation} validation${test} images`);
    out.line(`  starting weights: ${result.weights.source} (copied to ${result.weights.file}, ${(result.weights.bytes / 1e6).toFixed(1)} MB)`);
    out.line(`Run it there with ./launch.sh (see README.md), then: resnet-workbench job import ${result.folder}`);
  });
  withJsonOption(
    job
      .command('import')
      .description('check a finished job (or run folder) and add it to the runs folder as a run')
      .argument('<folder>', "the job folder (its run/ is imported) or a run folder"),
  ).action(async (folder: string, options: { json?: boolean }) => {
    const out = outputFor(ctx, options);
    const result = await importJob(folder);
    out.summary({ ...result });
    const accuracy = (value: number | null): string => (value === null ? 'none' : `${(value * 100).toFixed(2)}%`);
    out.line(`Imported ${result.runId} to ${result.folder}: ${result.epochsRun} epoch(s), validation ${accuracy(result.validationAccuracy)}, test ${accuracy(result.testAccuracy)}`);
  });
}
