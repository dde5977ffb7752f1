/**
 * Greedy callers: model jobs are capped (concurrency, queue, BUSY beyond), timed out, and ended when
 * their caller goes away; weights.import parses a hostile file in a worker while the engine keeps
 * answering other callers. Fake channels stand in for worker processes where only the pool's
 * bookkeeping is under test; real forked workers where the process boundary is the point.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import type { ModelJob, TrainerRequest } from '../../../src-main/common/trainerMessages';
import { ModelJobQueue } from '../../../src-main/node/service/modelJobQueue';
import { forkTrainerProcess, type TrainerChannel, type TrainerExit } from '../../../src-main/node/service/trainerHost';
import { Workbench } from '../../../src-main/node/service/workbench';
import { hugeIntegerCheckpoint } from './hostileCheckpoints';

/** A worker that answers only when told to, and records whether it was ended. */
class FakeWorker implements TrainerChannel {
  static spawned: FakeWorker[] = [];
  request: TrainerRequest | undefined;
  killed = false;
  exitNow: (() => void) | undefined;
  private messageListeners: ((message: unknown) => void)[] = [];
  private exitListeners: ((exit: TrainerExit) => void)[] = [];
  constructor() {
    FakeWorker.spawned.push(this);
  }
  postMessage(message: TrainerRequest): void {
    this.request = message;
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }
  onExit(listener: (exit: TrainerExit) => void): void {
    this.exitListeners.push(listener);
  }
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    for (const l of this.exitListeners) l({ code: null, signal: 'SIGTERM' });
  }
  answer(value: unknown): void {
    for (const l of this.messageListeners) l({ type: 'result', value });
  }
  refuse(message: string): void {
    for (const l of this.messageListeners) l({ type: 'failed', error: { code: 'BAD_INPUT', message } });
  }
}

const classify: ModelJob = { kind: 'classify', model: { runId: 'r' }, files: ['/a.png'], topK: 1 } as unknown as ModelJob;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const job: ModelJob = { kind: 'inspect', file: '/x.pth' };

async function failure(promise: Promise<unknown>): Promise<WorkbenchError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkbenchError) return error;
    throw error;
  }
  throw new Error('expected the job to fail');
}

describe('the model job pool', () => {
  it('runs at most `concurrency` workers, queues the rest and answers BUSY past the queue', async () => {
    FakeWorker.spawned = [];
    const queue = new ModelJobQueue(() => new FakeWorker(), { concurrency: 2, queueLength: 3 });
    const jobs = Array.from({ length: 5 }, () => queue.run(job, {}));
    expect(FakeWorker.spawned).toHaveLength(2);
    expect(queue.load).toMatchObject({ running: 2, waiting: 3 });
    const busy = await failure(queue.run(job, {}));
    expect(busy.code).toBe('BUSY');
    expect(busy.message).toMatch(/busy with 2 model jobs and 3 waiting/);
    // Each answer frees a worker for the next waiting job, never more than two at once.
    for (let i = 0; i < 5; i++) {
      (FakeWorker.spawned[i] as FakeWorker).answer(i);
      await new Promise((resolve) => setImmediate(resolve));
      expect(FakeWorker.spawned.filter((w) => !w.killed).length).toBeLessThanOrEqual(2);
    }
    await expect(Promise.all(jobs)).resolves.toEqual([0, 1, 2, 3, 4]);
    expect(FakeWorker.spawned.every((w) => w.killed)).toBe(true);
  });

  it('ends a job past its time limit with TIMEOUT and kills its worker', async () => {
    FakeWorker.spawned = [];
    const queue = new ModelJobQueue(() => new FakeWorker(), { timeoutsMs: { inspect: 50 } });
    const error = await failure(queue.run(job, {}));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/inspect job took longer than its limit of 0.1 s/);
    expect(FakeWorker.spawned[0]?.killed).toBe(true);
    // The slot is freed once the process has exited (here at once), one turn later.
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.load).toMatchObject({ running: 0, waiting: 0 });
  });

  it('ends a running job and drops a queued one when their caller goes away', async () => {
    FakeWorker.spawned = [];
    const queue = new ModelJobQueue(() => new FakeWorker(), { concurrency: 1 });
    const caller = new AbortController();
    const running = failure(queue.run(job, {}, caller.signal));
    const queued = failure(queue.run(job, {}, caller.signal));
    expect(queue.load).toMatchObject({ running: 1, waiting: 1 });
    caller.abort();
    expect((await running).code).toBe('CANCELLED');
    expect((await queued).code).toBe('CANCELLED');
    expect(FakeWorker.spawned).toHaveLength(1);
    expect(FakeWorker.spawned[0]?.killed).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.load).toMatchObject({ running: 0, waiting: 0 });
  });

  it('frees a slot only when the ended worker has exited, so processes never overlap past the cap', async () => {
    FakeWorker.spawned = [];
    const slow: FakeWorker[] = [];
    // A worker whose exit is reported later than its kill, as a real process's is.
    const queue = new ModelJobQueue(() => {
      const worker = new FakeWorker();
      const kill = worker.kill.bind(worker);
      worker.kill = () => void slow.push(worker);
      worker.exitNow = kill;
      return worker;
    }, { concurrency: 1 });
    const first = queue.run(job, {});
    const second = queue.run(job, {});
    (FakeWorker.spawned[0] as FakeWorker).answer('a');
    await expect(first).resolves.toBe('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(FakeWorker.spawned).toHaveLength(1);
    slow[0]?.exitNow?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(FakeWorker.spawned).toHaveLength(2);
    (FakeWorker.spawned[1] as FakeWorker).answer('b');
    await expect(second).resolves.toBe('b');
  });
});

describe('the model job pool keeps its workers', () => {
  it('runs the next job in the worker that finished the last one, without a new process', async () => {
    FakeWorker.spawned = [];
    const queue = new ModelJobQueue(() => new FakeWorker(), { concurrency: 2 });
    const first = queue.run(classify, {});
    FakeWorker.spawned[0]!.answer('one');
    await expect(first).resolves.toBe('one');
    expect(queue.load).toEqual({ running: 0, waiting: 0, processes: 1, idle: 1 });
    expect(FakeWorker.spawned[0]!.killed).toBe(false);

    const second = queue.run(classify, {});
    expect(FakeWorker.spawned).toHaveLength(1);
    expect(FakeWorker.spawned[0]!.request).toMatchObject({ type: 'model', job: { kind: 'classify' } });
    FakeWorker.spawned[0]!.answer('two');
    await expect(second).resolves.toBe('two');
    queue.close();
    expect(FakeWorker.spawned[0]!.killed).toBe(true);
  });

  it('serves twelve callers with at most `concurrency` processes in all', async () => {
    FakeWorker.spawned = [];
    const queue = new ModelJobQueue(() => new FakeWorker(), { concurrency: 2, queueLength: 16 });
    const jobs = Array.from({ length: 12 }, (_, i) => queue.run(classify, {}).then((value) => [i, value]));
    for (let answered = 0; answered < 12; answered++) {
      const busy = FakeWorker.spawned.filter((w) => !w.killed && w.request !== undefined);
      busy[answered % busy.length]!.answer(answered);
      await turn();
    }
    expect((await Promise.all(jobs)).map(([, value]) => value).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(FakeWorker.spawned.length).toBeLessThanOrEqual(2);
    queue.close();
  });

  it('ends the worker of a failed job and of a checkpoint inspection; the next job gets a fresh one', async () => {
    FakeWorker.spawned = [];
    const queue = new ModelJobQueue(() => new FakeWorker(), { concurrency: 1 });
    const failed = failure(queue.run(classify, {}));
    FakeWorker.spawned[0]!.refuse('not an image');
    expect((await failed).code).toBe('BAD_INPUT');
    expect(FakeWorker.spawned[0]!.killed).toBe(true);
    await turn();

    const inspected = queue.run(job, {});
    expect(FakeWorker.spawned).toHaveLength(2);
    FakeWorker.spawned[1]!.answer({ format: 'pth' });
    await inspected;
    expect(FakeWorker.spawned[1]!.killed).toBe(true);
    await turn();
    expect(queue.load).toMatchObject({ processes: 0, idle: 0 });
  });

  it('ends an idle worker after its idle time', async () => {
    FakeWorker.spawned = [];
    const queue = new ModelJobQueue(() => new FakeWorker(), { idleMs: 20 });
    const done = queue.run(classify, {});
    FakeWorker.spawned[0]!.answer(1);
    await done;
    expect(queue.load).toMatchObject({ processes: 1, idle: 1 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(FakeWorker.spawned[0]!.killed).toBe(true);
    expect(queue.load).toMatchObject({ processes: 0, idle: 0 });
  });
});

describe('weights.import of a hostile file', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'rw-hostile-import-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('parses it in a worker process: the engine keeps answering and its event loop never stalls', async () => {
    const file = path.join(root, 'long4.pth');
    await writeFile(file, hugeIntegerCheckpoint());
    const spawned: TrainerChannel[] = [];
    const workbench = new Workbench({
      runsRoot: path.join(root, 'runs'),
      weights: { folder: path.join(root, 'weights') },
      spawnWorker: () => {
        const channel = forkTrainerProcess();
        spawned.push(channel);
        return channel;
      },
    });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const imported = workbench.dispatch('weights.import', { file });
    // A second caller during the import is answered.
    const other = await workbench.dispatch('models.catalog', undefined);
    expect(other.ok).toBe(true);
    const reply = await imported;
    delay.disable();
    expect(reply).toMatchObject({ ok: false, error: { code: 'CHECKPOINT_CORRUPT' } });
    expect(reply.ok ? '' : reply.error.message).toMatch(/integer of 1048576 bytes/);
    // The parse ran in the worker: this process's event loop never waited on it.
    expect(delay.max / 1e6).toBeLessThan(1_000);
    expect(spawned).toHaveLength(1);
  });
});
