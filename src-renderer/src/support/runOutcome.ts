/**
 * How a run went, from its events, for the screens that list or compare runs: the finished run's
 * figures, or for a run that stopped (cancelled, failed, interrupted) the best epoch it reached and
 * its validation accuracy, so a run cancelled at 88% still says what it had learned.
 */
import type { RunStatus } from '../../../src-main/common/contract';
import type { ErrorData } from '../../../src-main/common/errors';
import type { RunEvent, RunEventPayload } from '../../../src-main/common/runEvents';
import { INITIAL_RUN_STATE, reduceRunEvent } from './runState';

/** A run's status in a list or a table, in words. */
export const RUN_STATUS_TEXT: Readonly<Record<RunStatus, string>> = {
  running: 'running',
  finished: 'finished',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted (its process ended)',
};

export interface RunOutcome {
  finished: RunEventPayload<'run.finished'> | null;
  failure: ErrorData | null;
  /** Epochs trained (the highest epoch reported). */
  epochs: number;
  /** The run's planned epochs; null before the first epoch. */
  plannedEpochs: number | null;
  /** The kept epoch: the finished run's, else the last epoch marked best; null before any. */
  bestEpoch: number | null;
  /** Validation accuracy of that epoch; null without a validation split. */
  bestValidationAccuracy: number | null;
  /** The last epoch's validation accuracy. */
  lastEpochAccuracy: number | null;
}

export function runOutcome(events: readonly RunEvent[]): RunOutcome {
  const { finished, failure } = events.reduce(reduceRunEvent, INITIAL_RUN_STATE);
  const epochs = events.filter((e): e is Extract<RunEvent, { event: 'run.epoch' }> => e.event === 'run.epoch').map((e) => e.payload);
  const best = finished ? epochs.findLast((e) => e.epoch === finished.bestEpoch) : epochs.findLast((e) => e.best);
  return {
    finished,
    failure: failure?.error ?? null,
    epochs: epochs.reduce((most, e) => Math.max(most, e.epoch), 0),
    plannedEpochs: epochs.at(-1)?.epochs ?? null,
    bestEpoch: finished?.bestEpoch ?? best?.epoch ?? null,
    bestValidationAccuracy: finished ? (finished.validationAccuracy ?? best?.evalAccuracy ?? null) : (best?.evalAccuracy ?? null),
    lastEpochAccuracy: epochs.at(-1)?.evalAccuracy ?? null,
  };
}
