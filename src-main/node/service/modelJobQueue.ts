/**
 * Model jobs (predict, classify, export, checkpoint inspection) as a bounded pool: at most
 * `concurrency` worker processes at a time, at most `queueLength` jobs waiting, BUSY beyond that, a
 * time limit per job, and a job whose caller goes away is dropped from the queue or ended. Without
 * the cap, every call forked its own process: 12 concurrent classify calls made 12 processes and ~4 GB.
 *
 * Each job still gets a fresh process (ended when the job settles): a worker that parsed a hostile
 * file or loaded a ResNet-152 gives all of its memory back, and no state leaks from one caller's job
 * into the next.
 */
import { WorkbenchError } from '../../common/errors';
import type { ModelJob, ModelJobOptions } from '../../common/trainerMessages';
import { runModelJobInProcess, type TrainerChannel } from './trainerHost';

export interface ModelJobQueueLimits {
  /** Worker processes at once. Default 2 (each may hold a ResNet and a batch of images). */
  concurrency?: number;
  /** Jobs waiting for a worker; one more is refused with BUSY. Default 16. */
  queueLength?: number;
  /** Per-job time limit by kind, in milliseconds. Defaults: DEFAULT_JOB_TIMEOUTS_MS. */
  timeoutsMs?: Partial<Record<ModelJob['kind'], number>>;
}

/**
 * Generous for a slow laptop (a ResNet-152 ONNX export, 200 images on CPU), short for a parse: a
 * checkpoint that takes more than a minute to read is not a checkpoint.
 */
export const DEFAULT_JOB_TIMEOUTS_MS: Readonly<Record<ModelJob['kind'], number>> = {
  predict: 10 * 60_000,
  classify: 5 * 60_000,
  export: 15 * 60_000,
  inspect: 60_000,
  // Loading ONNX Runtime and probing each GPU provider (each probe has its own 20 s limit).
  inference: 2 * 60_000,
};

/** How long a freed slot waits for its process to exit before it is reused anyway. */
const EXIT_WAIT_MS = 5_000;

interface Waiting {
  start: () => void;
}

export class ModelJobQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private readonly concurrency: number;
  private readonly queueLength: number;
  private readonly timeouts: Record<ModelJob['kind'], number>;

  constructor(
    private readonly spawnWorker: () => TrainerChannel,
    limits: ModelJobQueueLimits = {},
  ) {
    this.concurrency = limits.concurrency ?? 2;
    this.queueLength = limits.queueLength ?? 16;
    this.timeouts = { ...DEFAULT_JOB_TIMEOUTS_MS, ...limits.timeoutsMs };
  }

  /** Jobs running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `job` in a worker when one is free; rejects with BUSY, TIMEOUT, CANCELLED or the job's error. */
  run(job: ModelJob, options: ModelJobOptions, signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(new WorkbenchError('CANCELLED', `The ${job.kind} job was not started: its caller went away.`));
    if (this.running < this.concurrency) return this.start(job, options, signal);
    if (this.waiting.length >= this.queueLength) {
      return Promise.reject(
        new WorkbenchError(
          'BUSY',
          `The engine is busy with ${this.running} model jobs and ${this.waiting.length} waiting (the most it queues); try again when some have finished.`,
        ),
      );
    }
    return new Promise<unknown>((resolve, reject) => {
      const entry: Waiting = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.start(job, options, signal).then(resolve, reject);
        },
      };
      const onAbort = (): void => {
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new WorkbenchError('CANCELLED', `The ${job.kind} job was dropped from the queue: its caller went away.`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private async start(job: ModelJob, options: ModelJobOptions, signal: AbortSignal | undefined): Promise<unknown> {
    this.running++;
    const channel = this.spawnWorker();
    // The slot is freed when the process has exited, not when it was told to: otherwise an ending
    // worker and its successor overlap, and the cap on processes (and their memory) is not one.
    const exited = new Promise<void>((resolve) => channel.onExit(() => resolve()));
    try {
      return await runModelJobInProcess(channel, job, options, { timeoutMs: this.timeouts[job.kind], ...(signal ? { signal } : {}) });
    } finally {
      void Promise.race([exited, new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS).unref())]).then(() => {
        this.running--;
        this.waiting.shift()?.start();
      });
    }
  }
}
