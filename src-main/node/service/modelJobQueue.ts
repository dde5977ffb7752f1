/**
 * Model jobs (predict, classify, export, checkpoint inspection, the engine's inference facts) as a
 * bounded pool of long-lived worker processes: at most `concurrency` processes at a time (busy or
 * idle), at most `queueLength` jobs waiting, BUSY beyond that, a time limit per job, and a job whose
 * caller goes away is dropped from the queue or ended. Without the cap, every call forked its own
 * process: 12 concurrent classify calls made 12 processes and ~4 GB.
 *
 * A worker that finished a job successfully waits (up to IDLE_MS) for the next one: a process costs
 * about 1.5 s to start (Node, the sources, tfjs, ONNX Runtime), which every Try-it batch paid. A
 * worker is not kept after a failed, timed-out or cancelled job (it is ended, and its memory with it),
 * after a checkpoint inspection (a file from outside, parsed in a process that is then thrown away),
 * or after MAX_JOBS_PER_WORKER jobs (whatever a long life accumulates is given back).
 */
import { WorkbenchError } from '../../common/errors';
import type { ModelJob, ModelJobOptions } from '../../common/trainerMessages';
import { runModelJobInProcess, type TrainerChannel, type TrainerExit } from './trainerHost';

export interface ModelJobQueueLimits {
  /** Worker processes at once, busy or idle. Default 2 (each may hold a ResNet and a batch of images). */
  concurrency?: number;
  /** Jobs waiting for a worker; one more is refused with BUSY. Default 16. */
  queueLength?: number;
  /** Per-job time limit by kind, in milliseconds. Defaults: DEFAULT_JOB_TIMEOUTS_MS. */
  timeoutsMs?: Partial<Record<ModelJob['kind'], number>>;
  /** How long an idle worker waits for another job before it is ended. Default IDLE_MS. */
  idleMs?: number;
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
  // Scanning a large image folder and copying a ResNet-152's weights; reading a job's checkpoints.
  jobExport: 15 * 60_000,
  jobImport: 10 * 60_000,
};

/** An idle worker is ended after this long without a job. */
export const IDLE_MS = 60_000;
/** A worker is ended after this many jobs. */
export const MAX_JOBS_PER_WORKER = 100;
/** Kinds whose worker is never kept: they parse files from outside. */
const FRESH_PROCESS_KINDS: ReadonlySet<ModelJob['kind']> = new Set(['inspect']);
/** How long a slot waits for an ended process to exit before it is reused anyway. */
const EXIT_WAIT_MS = 5_000;

interface Waiting {
  start: () => void;
}

/** One worker process and the listeners of the job it runs now (the channel's own are set once). */
class PooledWorker {
  jobs = 0;
  idleTimer: NodeJS.Timeout | undefined;
  /** Counted in the pool's processes until it has exited (or was written off). */
  counted = true;
  private onMessage: ((message: unknown) => void) | undefined;
  private onExit: ((exit: TrainerExit) => void) | undefined;
  private exit: TrainerExit | undefined;

  constructor(
    readonly channel: TrainerChannel,
    whenExited: (worker: PooledWorker) => void,
  ) {
    channel.onMessage((message) => this.onMessage?.(message));
    channel.onExit((exit) => {
      this.exit = exit;
      this.onExit?.(exit);
      whenExited(this);
    });
  }

  get exited(): boolean {
    return this.exit !== undefined;
  }

  /** The channel as one job sees it: its listeners replace the previous job's. */
  lease(): TrainerChannel {
    return {
      postMessage: (message) => this.channel.postMessage(message),
      onMessage: (listener) => (this.onMessage = listener),
      onExit: (listener) => {
        this.onExit = listener;
        if (this.exit) listener(this.exit);
      },
      kill: (signal) => this.channel.kill(signal),
    };
  }

  release(): void {
    this.onMessage = undefined;
    this.onExit = undefined;
  }
}

export class ModelJobQueue {
  private running = 0;
  private processes = 0;
  private readonly idle: PooledWorker[] = [];
  private readonly waiting: Waiting[] = [];
  private readonly concurrency: number;
  private readonly queueLength: number;
  private readonly idleMs: number;
  private readonly timeouts: Record<ModelJob['kind'], number>;
  private closed = false;

  constructor(
    private readonly spawnWorker: () => TrainerChannel,
    limits: ModelJobQueueLimits = {},
  ) {
    this.concurrency = limits.concurrency ?? 2;
    this.queueLength = limits.queueLength ?? 16;
    this.idleMs = limits.idleMs ?? IDLE_MS;
    this.timeouts = { ...DEFAULT_JOB_TIMEOUTS_MS, ...limits.timeoutsMs };
  }

  /** Jobs running and waiting now, and the worker processes alive (busy or idle). */
  get load(): { running: number; waiting: number; processes: number; idle: number } {
    return { running: this.running, waiting: this.waiting.length, processes: this.processes, idle: this.idle.length };
  }

  /** Runs `job` in a worker when one is free; rejects with BUSY, TIMEOUT, CANCELLED or the job's error. */
  run(job: ModelJob, options: ModelJobOptions, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new WorkbenchError('CANCELLED', `The ${job.kind} job was not started: the engine is shutting down.`));
    if (signal?.aborted) return Promise.reject(new WorkbenchError('CANCELLED', `The ${job.kind} job was not started: its caller went away.`));
    if (this.hasRoom()) return this.start(job, options, signal);
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
          if (signal?.aborted) {
            // Its caller went away while the slot was being freed (the same abort may end the job before it).
            reject(new WorkbenchError('CANCELLED', `The ${job.kind} job was dropped from the queue: its caller went away.`));
            this.startNext();
            return;
          }
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

  /** Ends the idle workers and refuses new jobs (running ones end as their callers see fit). */
  close(): void {
    this.closed = true;
    for (const worker of this.idle.splice(0)) this.endWorker(worker);
    for (const entry of this.waiting.splice(0)) entry.start();
  }

  /** Starts the first waiting job if a worker is free or may be started. */
  private startNext(): void {
    if (this.hasRoom()) this.waiting.shift()?.start();
  }

  private hasRoom(): boolean {
    return this.idle.length > 0 || this.processes < this.concurrency;
  }

  private async start(job: ModelJob, options: ModelJobOptions, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.closed) throw new WorkbenchError('CANCELLED', `The ${job.kind} job was not started: the engine is shutting down.`);
    this.running++;
    const worker = this.takeWorker();
    const keep = !FRESH_PROCESS_KINDS.has(job.kind) && worker.jobs + 1 < MAX_JOBS_PER_WORKER;
    let succeeded = false;
    try {
      const value = await runModelJobInProcess(worker.lease(), job, options, { timeoutMs: this.timeouts[job.kind], keepAfterSuccess: keep, ...(signal ? { signal } : {}) });
      succeeded = true;
      return value;
    } finally {
      this.running--;
      worker.jobs++;
      worker.release();
      if (succeeded && keep && !worker.exited && !this.closed) this.park(worker);
      else this.endWorker(worker);
    }
  }

  private takeWorker(): PooledWorker {
    const reused = this.idle.pop();
    if (reused) {
      clearTimeout(reused.idleTimer);
      return reused;
    }
    this.processes++;
    return new PooledWorker(this.spawnWorker(), (worker) => this.exited(worker));
  }

  /** Keeps a worker for the next job: the first waiting one, or the next caller within idleMs. */
  private park(worker: PooledWorker): void {
    this.idle.push(worker);
    worker.idleTimer = setTimeout(() => {
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
      this.endWorker(worker);
    }, this.idleMs);
    worker.idleTimer.unref();
    this.startNext();
  }

  /** Ends a worker that is not kept (a failed job's already is); its slot is freed when it has exited. */
  private endWorker(worker: PooledWorker): void {
    clearTimeout(worker.idleTimer);
    if (worker.exited) return;
    worker.channel.kill();
    // The slot is freed when the process has exited, not when it was told to: otherwise an ending
    // worker and its successor overlap, and the cap on processes (and their memory) is not one. A
    // process that does not report its exit in time is written off.
    setTimeout(() => this.writeOff(worker), EXIT_WAIT_MS).unref();
  }

  private exited(worker: PooledWorker): void {
    clearTimeout(worker.idleTimer);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    this.writeOff(worker);
  }

  private writeOff(worker: PooledWorker): void {
    if (!worker.counted) return;
    worker.counted = false;
    this.processes--;
    this.startNext();
  }
}
