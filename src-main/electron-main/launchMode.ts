/**
 * What the desktop binary was started to do, from its arguments (pure, unit-tested):
 * - `--self-test`: the packaged app's own check (selfTest.ts), no visible window, exit code 0 or 1;
 * - a command of the command line as the first argument that is not a switch (`resnet-workbench
 *   train …`, the deb's /usr/bin/resnet-workbench links to this binary), or `--cli` followed by one:
 *   the command line, headless, with no window and no single-instance lock;
 * - anything else: the window.
 * Electron's runAsNode fuse is off, so the binary cannot run the CLI as plain Node; it runs the
 * bundled CLI itself. Chromium switches (`--ozone-platform=headless`, `--no-sandbox`) may come first.
 */
import { CLI_COMMAND_NAMES } from '../node/cli/commandNames';

export type LaunchMode = { kind: 'window' } | { kind: 'self-test' } | { kind: 'cli'; args: string[] };

export const SELF_TEST_SWITCH = '--self-test';
export const CLI_SWITCH = '--cli';

/**
 * `args`: the arguments after the executable, and after the app path when Electron runs an
 * unpackaged app (`electron .`): see `appArguments`.
 */
export function launchModeFor(args: readonly string[]): LaunchMode {
  if (args.includes(SELF_TEST_SWITCH)) return { kind: 'self-test' };
  const cli = args.indexOf(CLI_SWITCH);
  if (cli >= 0) return { kind: 'cli', args: args.slice(cli + 1) };
  const first = args.findIndex((arg) => !arg.startsWith('-'));
  if (first >= 0 && (CLI_COMMAND_NAMES as readonly string[]).includes(args[first]!)) return { kind: 'cli', args: args.slice(first) };
  return { kind: 'window' };
}

/** The arguments a user gave: `process.argv` without the executable (and the app path under `electron .`). */
export function appArguments(argv: readonly string[], defaultApp: boolean): string[] {
  return argv.slice(defaultApp ? 2 : 1);
}
