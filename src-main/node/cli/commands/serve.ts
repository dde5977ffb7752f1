/**
 * `resnet-workbench serve`: the workbench UI for a browser, e.g. on a laptop looking at a GPU machine.
 * Serves the built renderer and carries the contract over a WebSocket, behind a random token. Runs
 * train in a separate process, as in the desktop app. Stops on Ctrl-C or SIGTERM, cancelling a
 * running run (its last checkpoint is kept).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { WorkbenchError } from '../../../common/errors';
import { exportsFolder, runsFolder, weightsFolder } from '../../appPaths';
import { dataRootsPolicy, resolveDataRoots } from '../../server/dataRoots';
import { ExportDownloads } from '../../server/exportDownloads';
import { checkTokenFormat, isLoopbackHost } from '../../server/serverSecurity';
import { startWorkbenchServer } from '../../server/workbenchServer';
import { forkTrainerProcess } from '../../service/trainerHost';
import { Workbench } from '../../service/workbench';
import { PACKAGE_ROOT } from '../../runtimePaths';
import { outputFor, withJsonOption, type CliContext } from '../context';
import type { CliOutput } from '../output';
import { UsageError } from '../usage';

/** The default port; `--port 0` picks a free one. */
export const DEFAULT_SERVE_PORT = 7860;

/** What `npm run build` makes: the renderer bundle, out/renderer in the package root. */
const BUILT_RENDERER = path.join(PACKAGE_ROOT, 'out', 'renderer');

interface ServeCommandOptions {
  host: string;
  port: number;
  dataRoot: string[];
  token?: string;
  open: boolean;
  rendererDir?: string;
  json?: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`port must be a whole number from 0 to 65535; got '${value}'`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Opens the URL in the desktop's browser, when there is one; failures are silent (the URL is printed). */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser to open: the printed URL is enough.
  }
}

/** Resolves on the first SIGINT or SIGTERM; a second one quits at once. */
function untilStopped(out: CliOutput): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', () => process.exit(130));
      out.warn('stopping: closing connections and cancelling a running run (Ctrl-C again to quit at once)...');
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerServe(program: Command, ctx: CliContext): void {
  withJsonOption(
    program
      .command('serve')
      .description('serve the workbench UI to a browser (this machine only, unless --host says otherwise)')
      .option('--host <host>', 'address to listen on; 0.0.0.0 for every network interface', '127.0.0.1')
      .option('--port <port>', `port to listen on; 0 picks a free one (default ${DEFAULT_SERVE_PORT})`, parsePort, DEFAULT_SERVE_PORT)
      .option('--data-root <dir>', 'a folder the browser may read data from and write exports to (repeatable; default the current folder)', collect, [])
      .option('--token <token>', 'the access token (default: a new random one each start)')
      .option('--no-open', 'do not open the URL in a browser')
      // Development and tests: serve a renderer built elsewhere.
      .addOption(new Option('--renderer-dir <dir>', 'the built renderer folder').hideHelp()),
  ).action(async (options: ServeCommandOptions) => {
    const out = outputFor(ctx, options);
    if (options.token !== undefined) {
      const problem = checkTokenFormat(options.token);
      if (problem) throw new UsageError(problem);
    }
    const rendererFolder = path.resolve(options.rendererDir ?? BUILT_RENDERER);
    if (!existsSync(path.join(rendererFolder, 'index.html'))) {
      throw new WorkbenchError('NOT_FOUND', `The built UI is missing (${path.join(rendererFolder, 'index.html')}); run 'npm run build' first.`);
    }
    // Runs may start from checkpoints imported into the weights folder: readable, never writable from a browser.
    // Exports land in the exports folder unless the user picks a folder; the browser downloads them from there.
    const roots = await resolveDataRoots(options.dataRoot.length > 0 ? options.dataRoot : [process.cwd()], runsFolder(), [weightsFolder()], [exportsFolder()]);
    const downloads = new ExportDownloads();
    const workbench = new Workbench({
      runsRoot: roots.runsRoot,
      exportsFolder: roots.writableRoots[0] ?? exportsFolder(),
      onExported: (written) => downloads.register(written),
      pathPolicy: dataRootsPolicy(roots),
      browseRoots: () => roots.browseRoots,
      // A run's crash or out-of-memory must not take the server (and every tab) down with it.
      spawnWorker: ctx.spawnWorker ?? (() => forkTrainerProcess()),
    });
    void workbench.removeStaleTempFiles().catch(() => undefined);
    let server;
    try {
      server = await startWorkbenchServer({
        service: workbench,
        rendererFolder,
        host: options.host,
        port: options.port,
        downloads,
        ...(options.token !== undefined ? { token: options.token } : {}),
      });
    } catch (error) {
      await workbench.close();
      throw error;
    }
    const stopped = untilStopped(out);

    out.event('serving', { url: server.url, origin: server.origin, port: server.port, dataRoots: roots.dataRoots, runsRoot: roots.runsRoot });
    out.line(`ResNet Workbench is serving on ${server.url}`);
    out.line(`data roots: ${roots.dataRoots.join(', ')}`);
    out.line(`runs folder: ${roots.runsRoot}`);
    out.line(`exports folder: ${roots.writableRoots[0] ?? exportsFolder()} (exports are also downloaded to the browser)`);
    out.line('Press Ctrl-C to stop.');
    if (!isLoopbackHost(options.host)) {
      out.warn(`warning: listening on ${options.host}: anyone on the network who has the URL (with its token) can use this engine and the data roots.`);
    }
    if (options.open && !options.json && ctx.streams.stdout.isTTY) openInBrowser(server.url);

    const signal = await stopped;
    await server.close();
    await workbench.close();
    out.line('stopped.');
    out.summary({ ok: true, signal });
  });
}
