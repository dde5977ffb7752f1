import path from 'node:path';

/**
 * Whether `target` is `root` or inside it. Both must already be resolved (absolute, normalised, and
 * through realpath where links matter): this compares names, it does not touch the disk.
 */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
