/**
 * `resnet-workbench serve` as a user starts it: a child process on a free port, with its data in a
 * temporary folder. Resolves once it has printed its URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServeProcess {
  /** The URL with the token, as printed. */
  url: string;
  origin: string;
  token: string;
  /** Everything the process printed so far. */
  output: () => string;
  /** SIGTERM, then waits for the exit code. */
  stop: () => Promise<number | null>;
}

const BIN = fileURLToPath(new URL('../../../src-main/node/cli/bin.mjs', import.meta.url));

export async function startServe(options: { dataRoots: string[]; appData: string; token: string; env?: Record<string, string> }): Promise<ServeProcess> {
  const args = [BIN, 'serve', '--port', '0', '--no-open', '--token', options.token, ...options.dataRoots.flatMap((r) => ['--data-root', r])];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env, RESNET_WORKBENCH_DATA: options.appData },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 60 s:\n${output}`)), 60_000);
    const look = (): void => {
      const match = /serving on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
    void exited.then((code) => reject(new Error(`serve exited with ${code} before serving:\n${output}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    token: options.token,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
