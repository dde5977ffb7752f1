import { availableParallelism } from 'node:os';

/** Files read and decoded at once unless told otherwise: one per CPU, at least 2 so I/O overlaps decoding. */
export function defaultConcurrency(): number {
  return Math.max(2, availableParallelism());
}
