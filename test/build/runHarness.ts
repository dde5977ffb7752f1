/** Runs electronHarness.mjs on a built (or packaged) app; its report is the last line it prints. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ExitReport {
  exitCode: number;
  forks: Array<{ modulePath: string; options: Record<string, unknown> }>;
  singleInstanceLockRequested: boolean;
}
export interface CliReport extends ExitReport {
  mode: 'cli';
  windows: number;
}
export interface SelfTestReport extends ExitReport {
  mode: 'self-test';
  printed: string[];
  dataFolder: string;
  shown: boolean;
  executedScripts: number;
}

/** `appOutDir`: the folder holding main/, preload/, renderer/. Resolves to the report plus what came before it on stdout. */
export async function runHarness<T>(appOutDir: string, userDataRoot: string, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<T & { stdout: string }> {
  const harness = fileURLToPath(new URL('./electronHarness.mjs', import.meta.url));
  const { RESNET_WORKBENCH_DATA: _unset, ...env } = process.env;
  const { stdout } = await promisify(execFile)(process.execPath, [harness, appOutDir, userDataRoot, ...args], {
    cwd: root,
    env: { ...env, ...extraEnv },
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = stdout.trimEnd().split('\n');
  return { ...(JSON.parse(lines.at(-1)!) as T), stdout: lines.slice(0, -1).join('\n') };
}
