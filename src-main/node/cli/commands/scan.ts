import type { Command } from 'commander';
import { registerPlanned, type CliContext } from '../context';

export function registerScan(program: Command, _ctx: CliContext): void {
  registerPlanned(program, 'scan', 'check an image folder: classes, counts, unreadable files, leakage');
}
