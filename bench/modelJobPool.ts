/**
 * Greedy callers: N concurrent model calls against the engine with worker processes, as `serve` runs
 * it. Reports how many worker processes were alive at once and the peak of their summed RSS (sampled
 * from /proc every 50 ms), the engine's own peak RSS, and how many calls got BUSY. Each call is a
 * `weights.import` of a torchvision-layout ResNet-18 state dict written here (a real parse in a
 * worker: the workers load tfjs and the checkpoint, as a prediction would).
 *
 *   npx tsx bench/modelJobPool.ts [--callers 12] [--concurrency 2] [--queue 16]
 *
 * Linux only (/proc). Nothing is asserted; compare --concurrency 12 (no cap: what every call forking
 * its own worker cost) with the default.
 *
 * Then the latency of one small model job (the engine's inference facts: load ONNX Runtime, pick a
 * provider) run --sequential times one after another: the first starts a worker process, the next
 * ones find it kept (the pool keeps a worker after a successful job).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { torchvisionStateDictLayout } from '../src-main/common/resnetSpec';
import { ModelJobQueue } from '../src-main/node/service/modelJobQueue';
import { forkTrainerProcess } from '../src-main/node/service/trainerHost';
import { Workbench } from '../src-main/node/service/workbench';
import { writeCheckpoint } from '../src-main/node/weights/checkpointFile';
import type { StateDict } from '../src-main/node/weights/stateDict';

const { values } = parseArgs({
  options: { callers: { type: 'string', default: '12' }, concurrency: { type: 'string', default: '2' }, queue: { type: 'string', default: '16' }, sequential: { type: 'string', default: '4' } },
});
const callers = Number(values.callers);

function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const root = await mkdtemp(path.join(tmpdir(), 'rw-bench-pool-'));
try {
  const dict: StateDict = new Map();
  for (const { key, shape, dtype } of torchvisionStateDictLayout(18, 10)) {
    const n = shape.reduce((a, b) => a * b, 1);
    dict.set(key, dtype === 'int64' ? { dtype, shape, data: new BigInt64Array(n) } : { dtype: 'float32', shape, data: new Float32Array(n).fill(0.01) });
  }
  const file = path.join(root, 'resnet18-10.pth');
  await writeCheckpoint(file, dict, 'pth');

  const workbench = new Workbench({
    runsRoot: path.join(root, 'runs'),
    weights: { folder: path.join(root, 'weights') },
    spawnWorker: () => forkTrainerProcess(),
    modelJobLimits: { concurrency: Number(values.concurrency), queueLength: Number(values.queue) },
  });
  let maxWorkers = 0;
  let peakWorkersRss = 0;
  const sampler = setInterval(() => {
    const pids = childPids(process.pid);
    maxWorkers = Math.max(maxWorkers, pids.length);
    peakWorkersRss = Math.max(peakWorkersRss, pids.reduce((sum, pid) => sum + rssMb(pid), 0));
  }, 50);
  const started = performance.now();
  const replies = await Promise.all(Array.from({ length: callers }, () => workbench.dispatch('weights.import', { file })));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const codes = replies.map((r) => (r.ok ? 'ok' : r.error.code));
  console.log(
    JSON.stringify({
      callers,
      concurrency: Number(values.concurrency),
      queue: Number(values.queue),
      outcomes: Object.fromEntries([...new Set(codes)].map((c) => [c, codes.filter((x) => x === c).length])),
      maxWorkerProcesses: maxWorkers,
      peakWorkersRssMb: Math.round(peakWorkersRss),
      enginePeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      seconds: Math.round(seconds * 10) / 10,
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    }),
  );
  await workbench.close();

  const queue = new ModelJobQueue(() => forkTrainerProcess());
  const latencies: number[] = [];
  for (let i = 0; i < Number(values.sequential); i++) {
    const jobStarted = performance.now();
    await queue.run({ kind: 'inference' }, { runsRoot: path.join(root, 'runs'), weightsFolder: path.join(root, 'weights') });
    latencies.push(Math.round(performance.now() - jobStarted));
  }
  queue.close();
  console.log(JSON.stringify({ sequentialInferenceJobsMs: latencies, note: 'the first starts a worker process; the rest run in the kept worker' }));
} finally {
  await rm(root, { recursive: true, force: true });
}
