/**
 * Child-process probe for the hostile-checkpoint tests: reads each file given on the command line the
 * way the engine's worker does (inspectCheckpointFile), one after the other, and prints one JSON line
 * per file with the outcome, the time it took and the process's peak RSS so far. Peak RSS only grows,
 * so the last line bounds every case.
 */
import { performance } from 'node:perf_hooks';
import { toErrorData } from '../../../src-main/common/errors';
import { inspectCheckpointFile } from '../../../src-main/node/weights/weightsStore';

for (const file of process.argv.slice(2)) {
  const started = performance.now();
  let outcome: { ok: true } | { ok: false; code: string; message: string };
  try {
    await inspectCheckpointFile(file);
    outcome = { ok: true };
  } catch (error) {
    outcome = { ok: false, ...toErrorData(error) };
  }
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`${JSON.stringify({ file, ...outcome, ms, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
}
