/**
 * Root ignores file permissions, so permission tests would pass vacuously when run as root (as CI
 * does). Under root, this runs a Node child with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH removed
 * from its capability bounding set: still uid 0 (so it can read the repository wherever it was
 * cloned), but bound by permission bits like any user. Elsewhere the child runs as it is.
 */
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const SETPRIV = '/usr/bin/setpriv';
const isRoot = process.getuid?.() === 0;

/** Whether permission denials can be produced in a child here (always as non-root; as root with setpriv). */
export const canTestPermissions = !isRoot || existsSync(SETPRIV);

/** Run `script` (an ES module, TypeScript allowed through tsx) in such a child; resolves to its stdout. */
export async function runNodeWithoutPermissionOverride(script: string, cwd: string): Promise<string> {
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  const [command, ...args] = isRoot ? [SETPRIV, '--bounding-set=-dac_override,-dac_read_search', '--', ...node] : node;
  const { stdout } = await promisify(execFile)(command as string, args, { cwd, env: process.env, maxBuffer: 1 << 20 });
  return stdout;
}
