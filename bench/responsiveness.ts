/**
 * How responsive the process serving the UI stays while a run trains: the event-loop delay of that
 * process and how long a quick call (models.catalog) due every 100 ms waits for its answer, during a
 * real run on the bundled sample, with the run trained in the same process (as the CLI does) and in
 * a trainer process (as the desktop app's utilityProcess and `serve` do).
 *
 *   npx tsx bench/responsiveness.ts [--depth 18] [--size 64] [--epochs 2] [--write]
 *
 * --write replaces the "UI responsiveness while training" section of docs/benchmarks.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isResNetDepth } from '../src-main/common/resnetSpec';
import { forkTrainerProcess } from '../src-main/node/service/trainerHost';
import { Workbench } from '../src-main/node/service/workbench';
import { replaceBenchmarkSection } from './benchmarksDoc';

const { values } = parseArgs({
  options: {
    depth: { type: 'string', default: '18' },
    size: { type: 'string', default: '64' },
    epochs: { type: 'string', default: '2' },
    write: { type: 'boolean', default: false },
  },
});
const depth = Number(values.depth);
if (!isResNetDepth(depth)) throw new Error(`--depth must be one of 18, 34, 50, 101, 152; got ${values.depth}`);
const imageSize = Number(values.size);
const epochs = Number(values.epochs);
const sample = fileURLToPath(new URL('../resources/sample-fashion', import.meta.url));

interface Measured {
  where: string;
  runSeconds: number;
  loopP50: number;
  loopP99: number;
  loopMax: number;
  callP50: number;
  callP99: number;
  callMax: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(where: 'in-process' | 'trainer process'): Promise<Measured> {
  const runsRoot = await mkdtemp(path.join(tmpdir(), 'workbench-bench-responsiveness-'));
  const workbench = new Workbench({ runsRoot, ...(where === 'trainer process' ? { spawnWorker: () => forkTrainerProcess() } : {}) });
  try {
    await workbench.dispatch('engine.info', {});
    const started = await workbench.dispatch('runs.start', {
      config: { trainDir: path.join(sample, 'train'), testDir: path.join(sample, 'test'), depth, weights: 'none', imageSize, epochs, augment: false },
    });
    if (!started.ok) throw new Error(started.error.message);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const calls: number[] = [];
    let running = true;
    const done = workbench.runs.settled(started.value.runId).then(() => (running = false));
    const t0 = performance.now();
    while (running) {
      // A request arriving at this moment is answered once the loop is free: time it from the
      // moment the timer was due, so a long synchronous training step shows as the wait it causes.
      const due = performance.now() + 100;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), done]);
      if (!running) break;
      await workbench.dispatch('models.catalog', {});
      calls.push(performance.now() - due);
    }
    const runSeconds = (performance.now() - t0) / 1000;
    loop.disable();
    const status = await workbench.dispatch('runs.get', { runId: started.value.runId });
    if (!status.ok || status.value.status !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(status.ok ? status.value.status : status.error)}`);
    calls.sort((a, b) => a - b);
    return {
      where,
      runSeconds,
      loopP50: loop.percentile(50) / 1e6,
      loopP99: loop.percentile(99) / 1e6,
      loopMax: loop.max / 1e6,
      callP50: percentile(calls, 50),
      callP99: percentile(calls, 99),
      callMax: calls.at(-1) ?? Number.NaN,
    };
  } finally {
    await workbench.close();
    await rm(runsRoot, { recursive: true, force: true });
  }
}

const results = [await measure('in-process'), await measure('trainer process')];
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const rows = results.map((r) => `| ${r.where} | ${r.runSeconds.toFixed(1)} | ${ms(r.loopP50)} / ${ms(r.loopP99)} / ${ms(r.loopMax)} | ${ms(r.callP50)} / ${ms(r.callP99)} / ${ms(r.callMax)} |`);
const section = `## UI responsiveness while training

${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load ${loadavg()[0]?.toFixed(1)} at the end.
\`npx tsx bench/responsiveness.ts --depth ${depth} --size ${imageSize} --epochs ${epochs}\`: a ResNet-${depth} run (random weights, linear mode,
${imageSize} px, ${epochs} epochs) on the bundled 500-image sample, while the process that serves the UI answers
\`models.catalog\` every 100 ms (timed from when it was due, so a blocked loop counts). Times in ms, p50 / p99 / max. The PyTorch reference script has no UI, so there is
nothing to set beside it.

| run trained | run seconds | event-loop delay | models.catalog answered after |
| --- | --- | --- | --- |
${rows.join('\n')}
`;
console.log(section);
if (values.write) await replaceBenchmarkSection('## UI responsiveness while training', section);
