/**
 * The engine's side of the trainer process: start one run in it, forward its events, cancel it, and
 * turn a process that dies mid-run (crash, kill -9, out of memory) into a clear error instead of a
 * run that never ends. The engine itself survives and can start the next run in a new process.
 *
 * `TrainerChannel` is the little the engine needs of a child process. Here it is implemented over
 * Node's child_process.fork; Electron's utilityProcess (postMessage / 'message' / 'exit' / kill) fits
 * it with a thin adapter.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toErrorData, WorkbenchError } from '../../common/errors';
import type { RunEvent } from '../../common/runEvents';
import { parseTrainerReply, type ModelJob, type ModelJobOptions, type TrainerReply, type TrainerRequest, type TrainerRunOptions } from '../../common/trainerMessages';
import type { RunReport } from '../train/trainer';
import { builtMainFile } from '../runtimePaths';

export interface TrainerExit {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  /** The signal that ended it, when known (Electron reports only a code). */
  signal: NodeJS.Signals | null;
}

/** A started trainer process, seen from the engine. */
export interface TrainerChannel {
  postMessage(message: TrainerRequest): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (exit: TrainerExit) => void): void;
  /** Ends the process (SIGTERM by default); does nothing once it has exited. */
  kill(signal?: NodeJS.Signals): void;
}

/** tsx's ESM loader entry, for running the trainer from TypeScript sources. */
function tsxLoaderUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

export interface ForkTrainerOptions {
  /** The child's environment. Default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a trainer process with Node's child_process.fork. From TypeScript sources (tsx, vitest) the
 * child runs `trainerProcess.ts` through tsx; from a build, the compiled `trainerProcess.js`.
 */
export function forkTrainerProcess(options: ForkTrainerOptions = {}): TrainerChannel {
  const fromTypeScript = import.meta.url.endsWith('.ts');
  const entry = fromTypeScript ? fileURLToPath(new URL('../train/trainerProcess.ts', import.meta.url)) : builtMainFile('trainerProcess.js');
  const child = fork(entry, [], {
    execArgv: fromTypeScript ? ['--import', tsxLoaderUrl()] : [],
    env: options.env ?? process.env,
    // Structured clone, as Electron's postMessage uses: NaN and Infinity in metrics survive.
    serialization: 'advanced',
  });
  // A send after the child has died fails asynchronously; the 'exit' listener reports the death.
  child.on('error', () => undefined);
  return {
    postMessage: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', (code, signal) => listener({ code, signal })),
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export interface TrainerRun {
  /** Asks the trainer to stop; `done` then rejects with CANCELLED. */
  cancel(): void;
  /** The run's report; rejects with the run's WorkbenchError, or INTERNAL when the process died. */
  done: Promise<RunReport>;
}

export interface RunInTrainerOptions {
  /** After `cancel()`, how long the trainer may take to stop before it is killed. Default 10 000 ms. */
  cancelGraceMs?: number;
}

function describeExit(exit: TrainerExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

type Outcome<T> = { value: T } | { error: WorkbenchError };

interface SupervisedWorker<T> {
  done: Promise<T>;
  isSettled(): boolean;
  /** Ends the job with `error` (and the process with it). */
  fail(error: WorkbenchError): void;
}

/** A reply that ends a job without its result: the worker's own failure, or a reply out of place. */
function failureOf(reply: TrainerReply, job: string): Outcome<never> {
  if (reply.type === 'failed') return { error: new WorkbenchError(reply.error.code, reply.error.message) };
  return { error: new WorkbenchError('INTERNAL', `The worker process sent '${reply.type}' for ${job}.`) };
}

/**
 * Sends one job to the worker behind `channel` and owns the process from then on: every reply is
 * validated and handed to `onReply`, which settles the job by returning an outcome; a malformed reply
 * or the process's death settles it as an error. The process is ended once the job has settled,
 * unless it succeeded and `keepAfterSuccess` (a pooled worker, ready for another model job).
 */
function superviseWorker<T>(
  channel: TrainerChannel,
  request: TrainerRequest,
  onReply: (reply: TrainerReply) => Outcome<T> | undefined,
  deathMessage: (exit: TrainerExit) => string,
  onSettle: () => void = () => undefined,
  keepAfterSuccess = false,
): SupervisedWorker<T> {
  let settled = false;
  let resolveDone!: (value: T) => void;
  let rejectDone!: (error: WorkbenchError) => void;
  const done = new Promise<T>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const settle = (outcome: Outcome<T>): void => {
    if (settled) return;
    settled = true;
    onSettle();
    if (!(keepAfterSuccess && 'value' in outcome)) channel.kill();
    if ('value' in outcome) resolveDone(outcome.value);
    else rejectDone(outcome.error);
  };
  channel.onMessage((raw) => {
    if (settled) return;
    let reply;
    try {
      reply = parseTrainerReply(raw);
    } catch (error) {
      settle({ error: error instanceof WorkbenchError ? error : new WorkbenchError('INTERNAL', toErrorData(error).message) });
      return;
    }
    const outcome = onReply(reply);
    if (outcome) settle(outcome);
  });
  channel.onExit((exit) => settle({ error: new WorkbenchError('INTERNAL', deathMessage(exit)) }));
  channel.postMessage(request);
  return { done, isSettled: () => settled, fail: (error) => settle({ error }) };
}

/**
 * Runs one training run in the trainer process behind `channel`, which it then owns: the process is
 * ended when the run settles. Events reach `onEvent` validated and in the order the trainer sent them.
 */
export function runInTrainerProcess(
  channel: TrainerChannel,
  runId: string,
  options: TrainerRunOptions,
  onEvent: (event: RunEvent) => void,
  runOptions: RunInTrainerOptions = {},
): TrainerRun {
  let cancelTimer: NodeJS.Timeout | undefined;
  const worker = superviseWorker<RunReport>(
    channel,
    { type: 'start', runId, options },
    (reply) => {
      if (reply.type === 'event') {
        onEvent(reply.event);
        return undefined;
      }
      // Checked for the fields the engine reads; the rest is the trainer's RunReport as sent.
      if (reply.type === 'done') return { value: reply.report as unknown as RunReport };
      return failureOf(reply, 'a run');
    },
    (exit) =>
      `The trainer process died (${describeExit(exit)}) before the run ended; it may have run out of memory or crashed. The last checkpoint in the run folder, if any, is kept.`,
    () => clearTimeout(cancelTimer),
  );
  return {
    done: worker.done,
    cancel: () => {
      if (worker.isSettled() || cancelTimer) return;
      channel.postMessage({ type: 'cancel' });
      // A trainer stuck in a long synchronous step cannot hear the cancel: end it anyway.
      cancelTimer = setTimeout(
        () => worker.fail(new WorkbenchError('CANCELLED', 'Training was cancelled (the trainer did not stop in time and was ended).')),
        runOptions.cancelGraceMs ?? 10_000,
      );
    },
  };
}

export interface ModelJobLimits {
  /** The job is ended with TIMEOUT after this many milliseconds. Default: no limit. */
  timeoutMs?: number;
  /** Aborting ends the job (and its process) with CANCELLED: its caller went away. */
  signal?: AbortSignal;
  /** A job that succeeds leaves its process running, for the next model job (a pooled worker). */
  keepAfterSuccess?: boolean;
}

/**
 * Runs one model job (a prediction, an export, a checkpoint inspection) in the worker process behind
 * `channel`, which it then owns and ends. Resolves with the job's result as the worker sent it: the
 * caller checks it against the call's result schema (Workbench.dispatch does). A job past its time
 * limit, or whose caller went away, is ended with its process: a hostile file or a stuck read cannot
 * hold a worker forever.
 */
export function runModelJobInProcess(channel: TrainerChannel, job: ModelJob, options: ModelJobOptions, limits: ModelJobLimits = {}): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => worker.fail(new WorkbenchError('CANCELLED', `The ${job.kind} job was stopped: its caller went away.`));
  const worker = superviseWorker<unknown>(
    channel,
    { type: 'model', job, options },
    (reply) => (reply.type === 'result' ? { value: reply.value } : failureOf(reply, 'a model job')),
    (exit) => `The worker process died (${describeExit(exit)}) before the job ended; it may have run out of memory or crashed.`,
    () => {
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
    },
    limits.keepAfterSuccess ?? false,
  );
  if (limits.timeoutMs !== undefined && !worker.isSettled()) {
    const seconds = Math.round(limits.timeoutMs / 100) / 10;
    timer = setTimeout(() => worker.fail(new WorkbenchError('TIMEOUT', `The ${job.kind} job took longer than its limit of ${seconds} s and was ended.`)), limits.timeoutMs);
  }
  if (limits.signal?.aborted) onAbort();
  else limits.signal?.addEventListener('abort', onAbort, { once: true });
  return worker.done;
}
