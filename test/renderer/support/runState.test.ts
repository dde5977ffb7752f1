import { describe, expect, it } from 'vitest';
import { INITIAL_RUN_STATE, reduceRunEvent, runEventKey, withReportedStatus } from '../../../src-renderer/src/support/runState';
import { batch, epoch, evaluation, failed, finished, progress, started } from '../composables/runEvents.fixture';

describe('runState', () => {
  it('gives once-per-run events an identity and progress none', () => {
    expect(runEventKey(batch(2, 7, 1))).toBe('run.batch:2:7');
    expect(runEventKey(epoch(3, 1, 1, false))).toBe('run.epoch:3');
    expect(runEventKey(evaluation(3, 0.5))).toBe('run.evaluation:validation:3');
    expect(runEventKey(started())).toBe('run.started:1');
    expect(runEventKey(finished())).toBe('run.finished:1');
    // A resumed run's second start and its ending are events of their own.
    const resumed = started();
    if (resumed.event === 'run.started') resumed.payload.attempt = 2;
    expect(runEventKey(resumed)).toBe('run.started:2');
    expect(runEventKey(progress('training', 1, 2, 3))).toBeNull();
  });

  it('runs again when a stopped run is resumed, the earlier ending kept only in its history', () => {
    let state = reduceRunEvent(reduceRunEvent(INITIAL_RUN_STATE, started()), failed('CANCELLED', 'Cancelled'));
    expect(state.status).toBe('cancelled');
    const again = started();
    if (again.event === 'run.started') again.payload.attempt = 2;
    state = reduceRunEvent(state, again);
    expect([state.status, state.failure]).toEqual(['running', null]);
    state = reduceRunEvent(state, finished());
    expect(state.status).toBe('finished');
  });

  it('keeps the highest epoch’s evaluation even when an older one arrives late', () => {
    let state = reduceRunEvent(INITIAL_RUN_STATE, evaluation(2, 0.8));
    state = reduceRunEvent(state, evaluation(1, 0.6));
    expect(state.latestEvaluation?.epoch).toBe(2);
  });

  it('tells cancelled from failed by the error code', () => {
    expect(reduceRunEvent(INITIAL_RUN_STATE, failed('CANCELLED', 'Cancelled')).status).toBe('cancelled');
    expect(reduceRunEvent(INITIAL_RUN_STATE, failed('OUT_OF_MEMORY', 'oom')).status).toBe('failed');
  });

  it('computes the progress fraction, 0 while the total is unknown', () => {
    expect(reduceRunEvent(INITIAL_RUN_STATE, progress('features', 30, 120, 40)).progress?.fraction).toBe(0.25);
    expect(reduceRunEvent(INITIAL_RUN_STATE, progress('scanning', 0, 0, null)).progress?.fraction).toBe(0);
  });

  it('holds the training bar and its estimate still while a checkpoint is saved or an epoch evaluated', () => {
    // The trainer's order of events each epoch: saving (0 / 1), then training (epoch / epochs) with a new estimate.
    let state = reduceRunEvent(INITIAL_RUN_STATE, progress('training', 3, 10, 20));
    state = reduceRunEvent(state, progress('evaluating', 0, 1, null));
    expect(state.progress).toMatchObject({ phase: 'training', done: 3, total: 10, activity: 'evaluating' });
    state = reduceRunEvent(state, progress('saving', 0, 1, null));
    expect(state.progress).toMatchObject({ phase: 'training', done: 3, total: 10, activity: 'saving' });
    expect(state.etaSeconds).toBe(20);
    state = reduceRunEvent(state, progress('training', 4, 10, 15));
    expect(state.progress).toMatchObject({ phase: 'training', done: 4, activity: null });
    expect(state.etaSeconds).toBe(15);
    // Before training, each preparing phase has the bar to itself.
    const preparing = reduceRunEvent(reduceRunEvent(INITIAL_RUN_STATE, progress('scanning', 5, 10, null)), progress('saving', 0, 1, null));
    expect(preparing.progress).toMatchObject({ phase: 'saving', activity: null });
  });

  it('lets an ending told by an event win over a reported status', () => {
    const ended = reduceRunEvent(INITIAL_RUN_STATE, finished());
    expect(withReportedStatus(ended, 'running').status).toBe('finished');
    const running = reduceRunEvent(INITIAL_RUN_STATE, progress('training', 1, 2, 3));
    expect(withReportedStatus(running, 'interrupted')).toMatchObject({ status: 'interrupted', progress: null, etaSeconds: null });
  });
});
