import { InvalidArgumentError } from 'commander';
import { RESNET_DEPTHS, isResNetDepth, type ResNetDepth } from '../../common/resnetSpec';

/** A bad command line: exit code 2 with a one-line reason. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseDepth(value: string): ResNetDepth {
  const n = Number(value);
  if (!isResNetDepth(n)) throw new InvalidArgumentError(`depth must be one of ${RESNET_DEPTHS.join(', ')}`);
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

/** A fraction in (0, 1]. */
export function parseFraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]');
  return n;
}
