// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope, ref } from 'vue';
import { describe, expect, it } from 'vitest';
import { useSelectedRun } from '../../../src-renderer/src/composables/useSelectedRun';
import { createFakeApi, runDetail } from './fakeApi';
import { batch, RUN_ID, started } from './runEvents.fixture';

describe('useSelectedRun', () => {
  it('follows the selected run id, one subscription set at a time, and ends with its scope', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started()]) };
    const runId = ref<string | null>(null);
    const scope = effectScope();
    const run = scope.run(() => useSelectedRun(fake.api, runId))!;
    expect(run.value).toBeNull();
    expect(fake.listenerCount()).toBe(0);

    runId.value = RUN_ID;
    await flushPromises();
    const first = run.value!;
    expect(first.status.value).toBe('running');
    const perRun = fake.listenerCount();
    expect(perRun).toBeGreaterThan(0);

    runId.value = 'other';
    await flushPromises();
    expect(run.value).not.toBe(first);
    expect(fake.listenerCount()).toBe(perRun);
    fake.emitRun(batch(1, 1, 0.5));
    expect(first.series.value.batchLoss).toEqual([]);

    runId.value = null;
    await flushPromises();
    expect(run.value).toBeNull();
    expect(fake.listenerCount()).toBe(0);

    runId.value = RUN_ID;
    await flushPromises();
    scope.stop();
    expect(fake.listenerCount()).toBe(0);
  });
});
