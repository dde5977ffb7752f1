// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope, watch } from 'vue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runEventRecordSchema } from '../../../src-main/common/contract';
import { LIVE_APPLY_INTERVAL_MS, useRun } from '../../../src-renderer/src/composables/useRun';
import { createFakeApi, runDetail } from './fakeApi';
import { batch, epoch, evaluation, failed, fullRun, progress, RUN_ID, started } from './runEvents.fixture';

function mountRun(fake: ReturnType<typeof createFakeApi>, runId = RUN_ID) {
  const scope = effectScope();
  const run = scope.run(() => useRun(fake.api, runId))!;
  return { run, scope };
}

/** Lets the held live events be applied (flushPromises stays real: setImmediate is not faked). */
function settle(): void {
  vi.advanceTimersByTime(LIVE_APPLY_INTERVAL_MS);
}

describe('useRun', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('builds its events to the contract (they are records runs.get may carry)', () => {
    for (const event of [...fullRun(), failed('CANCELLED', 'Cancelled'), failed('OUT_OF_MEMORY', 'out of memory')]) {
      expect(runEventRecordSchema.safeParse(event).success).toBe(true);
    }
  });

  it('follows a live run from an empty history to its end', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', []) };
    const { run, scope } = mountRun(fake);
    await flushPromises();
    expect(run.status.value).toBe('running');
    expect(run.loading.value).toBe(false);

    const events = fullRun();
    for (const event of events.slice(0, 7)) fake.emitRun(event);
    settle();
    // Evaluating between epochs: the training bar holds still (epochs, estimate) and says what it does.
    expect(run.progress.value).toEqual({ phase: 'training', done: 0, total: 6, fraction: 0, message: null, activity: 'evaluating' });
    expect(run.etaSeconds.value).toBe(12);
    expect(run.series.value.batchLoss.map((p) => p.y)).toEqual([1.1, 0.9, 0.8]);
    expect(run.state.value.started?.classes).toEqual(['cat', 'dog', 'fox']);

    for (const event of events.slice(7)) fake.emitRun(event);
    expect(run.status.value).toBe('finished');
    expect(run.progress.value).toBeNull();
    expect(run.etaSeconds.value).toBeNull();
    expect(run.latestEvaluation.value?.epoch).toBe(2);
    expect(run.latestEvaluation.value?.accuracy).toBe(0.83);
    expect(run.latestEvaluation.value?.confusionMatrix.matrix[2]).toEqual([0, 2, 6]);
    expect(run.latestEvaluation.value?.perClass.map((c) => c.label)).toEqual(['cat', 'dog', 'fox']);
    expect(run.latestEvaluation.value?.misclassified[0]?.file).toBe('/data/train/dog/d1.jpg');
    expect(run.series.value.trainLoss).toEqual([{ x: 1, y: 0.85 }, { x: 2, y: 0.5 }]);
    expect(run.state.value.finished?.testAccuracy).toBe(0.83);
    scope.stop();
  });

  it('merges a catch-up that overlaps the live stream without duplicates', async () => {
    const fake = createFakeApi();
    const events = fullRun();
    fake.holdGet = true;
    const { run, scope } = mountRun(fake);
    let seriesUpdates = 0;
    scope.run(() => watch(run.series, () => (seriesUpdates += 1)));

    // While runs.get is in flight, live events 5..12 arrive; its reply will hold events 0..7.
    for (const event of events.slice(5, 13)) fake.emitRun(event);
    expect(run.series.value.batchLoss).toEqual([]); // held back until the history is in
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', events.slice(0, 8)) };
    fake.release();
    await flushPromises();

    const steps = run.series.value.batchLoss.map((p) => p.x);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(run.series.value.trainLoss).toHaveLength(1);
    expect(run.latestEvaluation.value?.epoch).toBe(1);
    // The last progress applied is the newest live one, not the history's.
    expect(run.progress.value).toMatchObject({ phase: 'training', activity: 'saving' });
    expect(seriesUpdates).toBe(1);

    // Live again: the rest arrives once, and a replayed old event changes nothing.
    for (const event of events.slice(13)) fake.emitRun(event);
    fake.emitRun(batch(1, 2, 99));
    settle();
    expect(run.series.value.batchLoss.map((p) => p.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(run.series.value.batchLoss[1]).toEqual({ x: 2, y: 0.9 });
    expect(run.status.value).toBe('finished');
    scope.stop();
  });

  it('catches up again after a reconnect (engine.ready) and keeps what it had', async () => {
    const fake = createFakeApi();
    const events = fullRun();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', events.slice(0, 6)) };
    const { run, scope } = mountRun(fake);
    await flushPromises();
    expect(run.series.value.batchLoss).toHaveLength(3);

    // Disconnected while events 6..12 were sent; the history now holds them.
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', events.slice(0, 13)) };
    fake.emit('engine.ready', { backend: 'cpu', tfjsBackend: 'cpu', versions: {}, convGradients: true, skipped: [] });
    await flushPromises();
    expect(fake.calls.get).toBe(2);
    expect(run.series.value.batchLoss.map((p) => p.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(run.series.value.trainLoss).toHaveLength(1);
    expect(run.progress.value).toMatchObject({ phase: 'training', activity: 'saving' });
    expect(run.etaSeconds.value).toBe(12);
    scope.stop();
  });

  it('applies a burst of live events together, and the run’s end at once', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started()]) };
    const { run, scope } = mountRun(fake);
    await flushPromises();
    let seriesUpdates = 0;
    scope.run(() => watch(run.series, () => (seriesUpdates += 1), { flush: 'sync' }));

    // Fifty batches in one burst: the first is shown at once, the rest together one interval later.
    for (let step = 1; step <= 50; step++) fake.emitRun(batch(1, step, 1 / step));
    expect(run.series.value.batchLoss).toHaveLength(1);
    vi.advanceTimersByTime(LIVE_APPLY_INTERVAL_MS - 1);
    expect(run.series.value.batchLoss).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(run.series.value.batchLoss).toHaveLength(50);
    expect(seriesUpdates).toBe(2);

    // A batch held back is applied with the end of the run, which does not wait.
    vi.advanceTimersByTime(LIVE_APPLY_INTERVAL_MS);
    fake.emitRun(batch(1, 51, 0.01));
    fake.emitRun(batch(1, 52, 0.01));
    fake.emitRun(failed('CANCELLED', 'The run was cancelled.'));
    expect(run.status.value).toBe('cancelled');
    expect(run.series.value.batchLoss).toHaveLength(52);
    scope.stop();
  });

  it('shows a failed run with its error', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started(), progress('training', 1, 6, 10), batch(1, 1, 1.1)]) };
    const { run, scope } = mountRun(fake);
    await flushPromises();
    fake.emitRun(failed('OUT_OF_MEMORY', 'The backend ran out of memory at batch 2 (batch size 64).'));
    expect(run.status.value).toBe('failed');
    expect(run.state.value.failure?.error).toEqual({ code: 'OUT_OF_MEMORY', message: 'The backend ran out of memory at batch 2 (batch size 64).' });
    expect(run.progress.value).toBeNull();
    // A straggling progress event does not revive it.
    fake.emitRun(progress('training', 2, 6, 8));
    settle();
    expect(run.status.value).toBe('failed');
    expect(run.progress.value).toBeNull();
    scope.stop();
  });

  it('cancels a run and shows it as cancelled', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started()]) };
    const { run, scope } = mountRun(fake);
    await flushPromises();
    await expect(run.cancel()).resolves.toBe(true);
    expect(fake.calls.cancel).toBe(1);
    fake.emitRun(failed('CANCELLED', 'The run was cancelled.'));
    expect(run.status.value).toBe('cancelled');
    expect(run.state.value.failure?.checkpoint).toBe(`/runs/${RUN_ID}/checkpoint`);

    fake.cancelReply = { ok: false, error: { code: 'NOT_FOUND', message: 'No run named x' } };
    await expect(run.cancel()).resolves.toBe(false);
    expect(run.error.value?.code).toBe('NOT_FOUND');
    scope.stop();
  });

  it('takes an ended status from runs.get (an interrupted run) and a finished history', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'interrupted', [started(), progress('training', 1, 6, 10)]) };
    const first = mountRun(fake);
    await flushPromises();
    expect(first.run.status.value).toBe('interrupted');
    expect(first.run.progress.value).toBeNull();
    first.scope.stop();

    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', fullRun()) };
    const second = mountRun(fake);
    await flushPromises();
    expect(second.run.status.value).toBe('finished');
    expect(second.run.series.value.evalAccuracy).toHaveLength(2);
    second.scope.stop();
  });

  it('ignores other runs’ events and reports a failed catch-up', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: false, error: { code: 'NOT_FOUND', message: 'No run folder /runs/x' } };
    const { run, scope } = mountRun(fake);
    await flushPromises();
    expect(run.error.value?.message).toBe('No run folder /runs/x');
    fake.emitRun(batch(1, 1, 5, 'another-run'));
    fake.emitRun(evaluation(1, 0.1, 'another-run'));
    expect(run.series.value.batchLoss).toEqual([]);
    expect(run.latestEvaluation.value).toBeNull();
    fake.emitRun(epoch(1, 0.9, 0.8, true));
    settle();
    expect(run.series.value.trainLoss).toEqual([{ x: 1, y: 0.9 }]);
    scope.stop();
  });

  it('unsubscribes from every event when its scope is disposed', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', []) };
    const { run, scope } = mountRun(fake);
    // Eight run events and engine.ready.
    expect(fake.listenerCount()).toBe(9);
    await flushPromises();
    scope.stop();
    expect(fake.listenerCount()).toBe(0);
    fake.emitRun(batch(1, 1, 1));
    expect(run.series.value.batchLoss).toEqual([]);
  });
});
