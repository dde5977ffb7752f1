// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope } from 'vue';
import { describe, expect, it } from 'vitest';
import type { CallResult, Reply } from '../../../src-main/common/contract';
import { resolveRunConfig } from '../../../src-main/common/runConfig';
import { useRunComparison } from '../../../src-renderer/src/composables/useRunComparison';
import { createFakeApi, runDetail } from './fakeApi';
import { epoch, fullRun, started } from './runEvents.fixture';

function details(): Record<string, CallResult<'runs.get'>> {
  return {
    a: { ...runDetail('a', 'finished', fullRun('a')), config: resolveRunConfig({ trainDir: '/data/train', epochs: 2 }) },
    b: { ...runDetail('b', 'running', [started('b'), epoch(1, 0.4, 0.3, true, 'b')]), config: resolveRunConfig({ trainDir: '/data/train', epochs: 5, augment: false }) },
  };
}

function setup() {
  const fake = createFakeApi();
  const known = details();
  fake.handle('runs.get', ({ runId }): Reply<CallResult<'runs.get'>> => {
    const detail = known[runId];
    return detail ? { ok: true, value: detail } : { ok: false, error: { code: 'NOT_FOUND', message: `No run named ${runId}` } };
  });
  const scope = effectScope();
  const comparison = scope.run(() => useRunComparison(fake.api))!;
  return { fake, comparison, scope };
}

describe('useRunComparison', () => {
  it('takes at most two runs, in the order ticked', () => {
    const { comparison, scope } = setup();
    expect(comparison.toggle('a', true)).toBe(true);
    expect(comparison.canCompare.value).toBe(false);
    expect(comparison.toggle('b', true)).toBe(true);
    expect(comparison.toggle('c', true)).toBe(false);
    expect(comparison.selected.value).toEqual(['a', 'b']);
    expect(comparison.canCompare.value).toBe(true);
    comparison.toggle('a', false);
    comparison.toggle('c', true);
    expect(comparison.selected.value).toEqual(['b', 'c']);
    // Ticking a ticked run again changes nothing.
    expect(comparison.toggle('c', true)).toBe(true);
    expect(comparison.selected.value).toEqual(['b', 'c']);
    scope.stop();
  });

  it('loads both runs and gives their eval curves and the settings that differ', async () => {
    const { fake, comparison, scope } = setup();
    comparison.toggle('a', true);
    comparison.toggle('b', true);
    await comparison.compare();
    expect(fake.received['runs.get']).toEqual([{ runId: 'a' }, { runId: 'b' }]);
    const result = comparison.comparison.value!;
    expect(result.first.runId).toBe('a');
    expect(result.first.series.evalAccuracy.map((p) => p.y)).toEqual([0.65, 0.725]);
    expect(result.first.series.evalLoss.map((p) => p.y)).toEqual([0.7, 0.55]);
    expect(result.second.status).toBe('running');
    expect(result.second.series.evalLoss).toEqual([{ x: 1, y: 0.3 }]);
    expect(result.differences).toEqual([
      { key: 'epochs', first: '2', second: '5' },
      { key: 'augment', first: 'true', second: 'false' },
    ]);
    expect(comparison.loading.value).toBe(false);
    scope.stop();
  });

  it('does nothing without two runs, and names the run that could not be loaded', async () => {
    const { fake, comparison, scope } = setup();
    comparison.toggle('a', true);
    await comparison.compare();
    expect(fake.received['runs.get']).toBeUndefined();
    comparison.toggle('missing', true);
    await comparison.compare();
    expect(comparison.comparison.value).toBeNull();
    expect(comparison.error.value?.code).toBe('NOT_FOUND');
    expect(comparison.error.value?.message).toBe('missing: No run named missing');
    scope.stop();
  });

  it('drops the comparison, and a reply still on its way, when the selection changes', async () => {
    const { comparison, scope } = setup();
    comparison.toggle('a', true);
    comparison.toggle('b', true);
    await comparison.compare();
    expect(comparison.comparison.value).not.toBeNull();
    comparison.toggle('b', false);
    await flushPromises();
    expect(comparison.comparison.value).toBeNull();

    comparison.toggle('b', true);
    const late = comparison.compare();
    comparison.toggle('a', false);
    await late;
    await flushPromises();
    expect(comparison.comparison.value).toBeNull();
    expect(comparison.loading.value).toBe(false);
    scope.stop();
  });
});
