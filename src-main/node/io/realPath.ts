import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * The real path of `target`; for a path that does not exist yet (an export's output), the real path
 * of its nearest existing ancestor with the rest appended.
 */
export async function realPathOf(target: string): Promise<string> {
  const rest: string[] = [];
  let current = path.resolve(target);
  for (;;) {
    try {
      return path.join(await realpath(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...rest);
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}
