import type { Command } from 'commander';
import { registerPlanned, type CliContext } from '../context';

export function registerWeights(program: Command, _ctx: CliContext): void {
  registerPlanned(program, 'weights', 'list, download or import pretrained ImageNet weights');
}
