/**
 * Two runs side by side: the user ticks two runs, `compare()` loads both with runs.get and gives
 * their per-epoch curves and the settings that differ. Changing the selection drops a comparison
 * that no longer matches it.
 */
import { computed, readonly, ref, shallowRef, type ComputedRef, type Ref, type ShallowRef } from 'vue';
import type { RunStatus, WorkbenchApi } from '../../../src-main/common/contract';
import type { RunConfig } from '../../../src-main/common/runConfig';
import type { RunEvent } from '../../../src-main/common/runEvents';
import { ApiError, unwrap } from '../api/workbench';
import { configDiff, type ConfigDifference } from '../support/configDiff';
import { runOutcome, type RunOutcome } from '../support/runOutcome';
import { runSeriesFromEvents, type RunSeries } from '../support/runSeries';
import { toApiError } from './useRun';

/** Runs compared at once. */
export const COMPARED_RUNS = 2;

export interface ComparedRun {
  runId: string;
  /** The name the user gave the run; null when none. */
  name: string | null;
  status: RunStatus;
  config: RunConfig;
  series: RunSeries;
  outcome: RunOutcome;
}

export interface RunComparison {
  first: ComparedRun;
  second: ComparedRun;
  /** Settings whose values differ, with each run's value. */
  differences: ConfigDifference[];
}

export interface UseRunComparison {
  /** Ticked run ids, in the order ticked (at most two). */
  selected: Readonly<Ref<readonly string[]>>;
  /** Ticks or unticks a run; a third tick is refused (returns false). */
  toggle: (runId: string, on: boolean) => boolean;
  canCompare: ComputedRef<boolean>;
  comparison: Readonly<ShallowRef<RunComparison | null>>;
  loading: Readonly<Ref<boolean>>;
  error: Readonly<ShallowRef<ApiError | null>>;
  compare: () => Promise<void>;
}

export function useRunComparison(api: WorkbenchApi): UseRunComparison {
  const selected = ref<string[]>([]);
  const comparison = shallowRef<RunComparison | null>(null);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  let generation = 0;

  const canCompare = computed(() => selected.value.length === COMPARED_RUNS);

  /** Done at once, not in a watcher, so a compare() right after a tick is not undone by it. */
  function select(next: string[]): void {
    selected.value = next;
    generation += 1;
    comparison.value = null;
    error.value = null;
    loading.value = false;
  }

  function toggle(runId: string, on: boolean): boolean {
    const has = selected.value.includes(runId);
    if (on === has) return true;
    if (!on) {
      select(selected.value.filter((id) => id !== runId));
      return true;
    }
    if (selected.value.length >= COMPARED_RUNS) return false;
    select([...selected.value, runId]);
    return true;
  }

  async function load(runId: string): Promise<ComparedRun> {
    try {
      const detail = unwrap(await api.runs.get({ runId }));
      const events = detail.events as RunEvent[];
      return { runId, name: detail.label.name, status: detail.status, config: detail.config, series: runSeriesFromEvents(events), outcome: runOutcome(events) };
    } catch (caught) {
      const failure = toApiError(caught);
      // Say which of the two runs could not be loaded.
      throw new ApiError({ code: failure.code, message: `${runId}: ${failure.message}` });
    }
  }

  async function compare(): Promise<void> {
    if (!canCompare.value) return;
    const mine = ++generation;
    const [firstId, secondId] = selected.value as [string, string];
    loading.value = true;
    error.value = null;
    try {
      const [first, second] = await Promise.all([load(firstId), load(secondId)]);
      if (mine !== generation) return;
      comparison.value = { first, second, differences: configDiff(first.config, second.config) };
    } catch (caught) {
      if (mine === generation) error.value = toApiError(caught);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  return { selected: readonly(selected), toggle, canCompare, comparison, loading: readonly(loading), error, compare };
}
