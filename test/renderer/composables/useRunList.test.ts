// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope } from 'vue';
import { describe, expect, it } from 'vitest';
import { useRunList } from '../../../src-renderer/src/composables/useRunList';
import { createFakeApi } from './fakeApi';
import { finished, RUN_ID } from './runEvents.fixture';
import { runSummary } from './runSummary.fixture';

describe('useRunList', () => {
  it('lists runs, reloads when a run ends, and unsubscribes on dispose', async () => {
    const fake = createFakeApi();
    fake.listReply = { ok: true, value: { runs: [runSummary(RUN_ID, 'running')] } };
    const scope = effectScope();
    const list = scope.run(() => useRunList(fake.api))!;
    await flushPromises();
    expect(list.runs.value.map((r) => r.status)).toEqual(['running']);

    fake.listReply = { ok: true, value: { runs: [runSummary(RUN_ID, 'finished')] } };
    fake.emitRun(finished());
    await flushPromises();
    expect(fake.calls.list).toBe(2);
    expect(list.runs.value[0]?.testAccuracy).toBe(0.9);

    fake.listReply = { ok: false, error: { code: 'IO', message: 'Cannot read /runs' } };
    await list.refresh();
    expect(list.error.value?.message).toBe('Cannot read /runs');
    expect(list.runs.value).toHaveLength(1);

    expect(fake.listenerCount()).toBe(3);
    scope.stop();
    expect(fake.listenerCount()).toBe(0);
  });
});
