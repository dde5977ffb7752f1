/**
 * Runs the resnet-workbench command line in this process with captured output, as a user would
 * call it (same parsing, same exit codes), without a child process.
 */
import { PassThrough } from 'node:stream';
import { runCli } from '../../src-main/node/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliInProcess(...args: string[]): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(['node', 'resnet-workbench', ...args], { streams: { stdout, stderr } });
  return { code, stdout: out, stderr: err };
}

/** stdout of a --json run, one object per line. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A --json run: exit code, the JSON lines of stdout, and stderr. */
export async function runCliJson(...args: string[]): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  const { code, stdout, stderr } = await runCliInProcess(...args);
  return { code, lines: jsonLines(stdout.split('\n').filter((l) => l.startsWith('{')).join('\n')), stderr };
}
