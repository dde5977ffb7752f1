import type { Command } from 'commander';
import type { TrainerChannel } from '../service/trainerHost';
import { createOutput, type CliOutput, type OutputStreams } from './output';

export interface CliContext {
  streams: OutputStreams;
  /**
   * Starts the worker process `serve` runs jobs in. Default: a Node child process
   * (`forkTrainerProcess`); the desktop app's `--cli` passes an Electron utility process, since its
   * binary cannot run as Node (the runAsNode fuse is off).
   */
  spawnWorker?: () => TrainerChannel;
}

/** Every command takes `--json`; this reads it and builds the matching output. */
export function outputFor(ctx: CliContext, options: { json?: boolean }): CliOutput {
  return createOutput(options.json === true, ctx.streams);
}

export function withJsonOption(command: Command): Command {
  return command.option('--json', 'print JSON lines: events, then a final summary object');
}
