import { availableParallelism } from 'node:os';

/** Images decoded at once by the loader unless told otherwise: one per CPU, at least 2 so I/O overlaps decoding. */
export function defaultConcurrency(): number {
  return Math.max(2, availableParallelism());
}

/**
 * Files checked at once by a scan: small files make a scan wait on file-system calls as much as on
 * decoding, so it keeps libuv's default pool of 4 threads busy even on a 2-core machine.
 */
export function defaultScanConcurrency(): number {
  return Math.max(4, availableParallelism());
}
