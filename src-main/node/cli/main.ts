/**
 * The resnet-workbench command line. Exit codes: 0 success, 1 failure, 2 usage error (one line).
 */
import { Command, CommanderError } from 'commander';
import { WorkbenchError, toErrorData } from '../../common/errors';
import { registerDemo } from './commands/demo';
import { registerExport } from './commands/export';
import { registerInfo } from './commands/info';
import { registerJob } from './commands/job';
import { registerPredict } from './commands/predict';
import { registerScan } from './commands/scan';
import { registerServe } from './commands/serve';
import { registerTrain } from './commands/train';
import { registerWeights } from './commands/weights';
import type { CliContext } from './context';
import { UsageError } from './usage';
import { APP_VERSION } from '../appVersion';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('resnet-workbench')
    .description('Transfer learning on image folders with torchvision-exact ResNets (18 to 152).')
    .version(APP_VERSION)
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => ctx.streams.stdout.write(s),
      writeErr: (s) => ctx.streams.stderr.write(s),
      // Our own one-line usage message is printed by runCli.
      outputError: () => {},
    })
    .exitOverride();
  registerInfo(program, ctx);
  registerScan(program, ctx);
  registerTrain(program, ctx);
  registerPredict(program, ctx);
  registerExport(program, ctx);
  registerWeights(program, ctx);
  registerJob(program, ctx);
  registerServe(program, ctx);
  registerDemo(program, ctx);
  // Sub-commands inherit the error handling above.
  for (const command of program.commands) {
    command.exitOverride().configureOutput({
      writeOut: (s) => ctx.streams.stdout.write(s),
      writeErr: (s) => ctx.streams.stderr.write(s),
      outputError: () => {},
    });
  }
  return program;
}

/** Run the command line; resolves to the process exit code. */
export async function runCli(argv: readonly string[], ctx: CliContext = { streams: process }): Promise<number> {
  const program = buildProgram(ctx);
  const jsonMode = argv.includes('--json');
  const fail = (code: number, kind: string, message: string, errorCode?: string): number => {
    const oneLine = message.split('\n')[0] ?? message;
    if (jsonMode) ctx.streams.stdout.write(`${JSON.stringify({ ok: false, error: { code: errorCode ?? kind, message: oneLine } })}\n`);
    ctx.streams.stderr.write(`resnet-workbench: ${oneLine}\n`);
    return code;
  };
  try {
    // Node's convention (executable, script, arguments) everywhere: under Electron commander would guess another.
    await program.parseAsync([...argv], { from: 'node' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return fail(2, 'USAGE', error.message.replace(/^error: /, ''));
    }
    if (error instanceof UsageError) return fail(2, 'USAGE', error.message);
    if (error instanceof WorkbenchError) return fail(1, error.code, error.message, error.code);
    const data = toErrorData(error);
    return fail(1, data.code, data.message);
  }
}
