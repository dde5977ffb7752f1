import type { Command } from 'commander';
import { registerPlanned, type CliContext } from '../context';

export function registerPredict(program: Command, _ctx: CliContext): void {
  registerPlanned(program, 'predict', 'classify images with a checkpoint or a trained model');
}
