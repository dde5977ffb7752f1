/**
 * What a run screen shows besides the charts, folded from run events: status, phase, progress,
 * ETA, the latest evaluation and how the run ended. Pure; the reducer returns a new state.
 *
 * Merging history with the live stream: `runEventKey` gives every event that happens once in a run
 * an identity — (event, epoch) for epochs and evaluations, (event, epoch, batch) for batches, the
 * event name for run.started/finished/failed. An event whose key was already applied is a
 * duplicate (from a catch-up overlapping the live stream) and is dropped. run.progress has no
 * identity: it is state, not history, and the last one applied wins — which is why a catch-up
 * applies the history first and then the live events that arrived while it was loading.
 */
import type { RunStatus } from '../../../src-main/common/contract';
import type { ErrorData } from '../../../src-main/common/errors';
import type { RunEvent, RunEventPayload, RunPhase, SkippedFile } from '../../../src-main/common/runEvents';

export type RunEvaluation = RunEventPayload<'run.evaluation'>;

export interface RunProgress {
  /** The phase the bar measures: preparing (scanning, features) or training (epochs). */
  phase: RunPhase;
  done: number;
  total: number;
  /** done / total in [0, 1]; 0 while total is 0. */
  fraction: number;
  message: string | null;
  /**
   * A short step inside training (saving a checkpoint, evaluating) shown beside the bar, which keeps
   * its epochs and estimate meanwhile; null otherwise.
   */
  activity: RunPhase | null;
}

/** Steps taken between and after epochs: they do not replace the training bar. */
const STEPS_WITHIN_TRAINING: ReadonlySet<RunPhase> = new Set(['saving', 'evaluating']);

export interface RunState {
  /** Null until a reply or an event says anything. */
  status: RunStatus | null;
  started: RunEventPayload<'run.started'> | null;
  /** Null before the first progress event and once the run has ended. */
  progress: RunProgress | null;
  /** Seconds left in the whole run; null when unknown or ended. */
  etaSeconds: number | null;
  /** The validation evaluation of the highest epoch so far. */
  latestEvaluation: RunEvaluation | null;
  /** The test folder's evaluation: scored once, on the kept model, after the last epoch. */
  testEvaluation: RunEvaluation | null;
  /** Files the run could not use, as reported so far. */
  skipped: SkippedFile[];
  /** How many files were skipped (skipped may list fewer when an event carried only the first ones). */
  skippedTotal: number;
  finished: RunEventPayload<'run.finished'> | null;
  /** Why the run ended without a report (code CANCELLED for a cancelled run). */
  failure: { error: ErrorData; checkpoint: string | null } | null;
}

export const INITIAL_RUN_STATE: RunState = Object.freeze({
  status: null,
  started: null,
  progress: null,
  etaSeconds: null,
  latestEvaluation: null,
  testEvaluation: null,
  skipped: [],
  skippedTotal: 0,
  finished: null,
  failure: null,
});

/** The identity of an event that happens once per run; null for run.progress (see above). */
export function runEventKey(event: RunEvent): string | null {
  switch (event.event) {
    case 'run.batch':
      return `run.batch:${event.payload.epoch}:${event.payload.batch}`;
    case 'run.epoch':
      return `${event.event}:${event.payload.epoch}`;
    case 'run.evaluation':
      // The test evaluation carries the kept epoch's number, which a validation evaluation also has.
      return `${event.event}:${event.payload.split}:${event.payload.epoch}`;
    case 'run.skipped':
      return `${event.event}:${event.payload.files[0]?.path ?? ''}:${event.payload.total}`;
    case 'run.progress':
      return null;
    default:
      // run.started, run.finished, run.failed: a resumed run starts (and ends) again, each start its own.
      return `${event.event}:${event.payload.attempt ?? 1}`;
  }
}

const ENDED: readonly RunStatus[] = ['finished', 'failed', 'cancelled', 'interrupted'];

export function isEnded(status: RunStatus | null): boolean {
  return status !== null && ENDED.includes(status);
}

/** The state after one event. Events for other runs are the caller's to filter out. */
export function reduceRunEvent(state: RunState, event: RunEvent): RunState {
  switch (event.event) {
    case 'run.started':
      // A start after an ending is the run resumed: it runs again, the earlier ending is history.
      if (state.finished !== null || state.failure !== null) return { ...state, started: event.payload, status: 'running', finished: null, failure: null };
      return { ...state, started: event.payload, status: state.status ?? 'running' };
    case 'run.progress': {
      // A late progress event must not bring an ended run back to life.
      if (isEnded(state.status)) return state;
      const { phase, done, total, etaSeconds, message } = event.payload;
      // Saving and evaluating between epochs used to swap the bar to "0 / 1" and drop the estimate
      // several times a second: the training bar holds still and says what it is doing instead.
      if (state.progress?.phase === 'training' && STEPS_WITHIN_TRAINING.has(phase)) {
        return { ...state, status: 'running', progress: { ...state.progress, activity: phase, message: message ?? null } };
      }
      return {
        ...state,
        status: 'running',
        progress: { phase, done, total, fraction: total > 0 ? Math.min(1, done / total) : 0, message: message ?? null, activity: null },
        etaSeconds,
      };
    }
    case 'run.skipped':
      return { ...state, skipped: [...state.skipped, ...event.payload.files], skippedTotal: state.skippedTotal + event.payload.total };
    case 'run.evaluation':
      if (event.payload.split === 'test') return { ...state, testEvaluation: event.payload };
      if (state.latestEvaluation !== null && state.latestEvaluation.epoch > event.payload.epoch) return state;
      return { ...state, latestEvaluation: event.payload };
    case 'run.finished':
      return { ...state, status: 'finished', finished: event.payload, progress: null, etaSeconds: null };
    case 'run.failed': {
      const { error, checkpoint } = event.payload;
      const status: RunStatus = error.code === 'CANCELLED' ? 'cancelled' : 'failed';
      return { ...state, status, failure: { error, checkpoint }, progress: null, etaSeconds: null };
    }
    default:
      return state.status === null ? { ...state, status: 'running' } : state;
  }
}

/**
 * Takes the status `runs.get` reported. An ending told by an event wins; 'interrupted' (the engine
 * found the run abandoned) ends it too.
 */
export function withReportedStatus(state: RunState, status: RunStatus): RunState {
  if (state.finished !== null || state.failure !== null) return state;
  if (isEnded(status)) return { ...state, status, progress: null, etaSeconds: null };
  return { ...state, status };
}
