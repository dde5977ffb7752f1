/**
 * The runs folder's runs, newest first, from `runs.list`. Loads on start and again whenever a run
 * starts or ends (run.started, run.finished, run.failed), so statuses stay current without
 * polling; the subscriptions end with the calling scope (or `stop()`).
 */
import { getCurrentScope, onScopeDispose, readonly, ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { RunSummary, Unsubscribe, WorkbenchApi } from '../../../src-main/common/contract';
import type { ApiError } from '../api/workbench';
import { unwrap } from '../api/workbench';
import { toApiError } from './useRun';

export interface UseRunList {
  runs: Readonly<ShallowRef<readonly RunSummary[]>>;
  /** True while a list call is in flight. */
  loading: Readonly<Ref<boolean>>;
  /** The last failed call; cleared by the next success. The previous list stays shown. */
  error: Readonly<Ref<ApiError | null>>;
  refresh: () => Promise<void>;
  stop: () => void;
}

export function useRunList(api: WorkbenchApi): UseRunList {
  const runs = shallowRef<readonly RunSummary[]>([]);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  let generation = 0;
  let stopped = false;

  async function refresh(): Promise<void> {
    if (stopped) return;
    const mine = ++generation;
    loading.value = true;
    try {
      const value = unwrap(await api.runs.list());
      // A reply to an older call must not overwrite a newer one's.
      if (mine !== generation || stopped) return;
      runs.value = value.runs;
      error.value = null;
    } catch (caught) {
      if (mine === generation && !stopped) error.value = toApiError(caught);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  const unsubscribes: Unsubscribe[] = [
    api.on('run.started', () => void refresh()),
    api.on('run.finished', () => void refresh()),
    api.on('run.failed', () => void refresh()),
  ];

  function stop(): void {
    stopped = true;
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
  }

  if (getCurrentScope()) onScopeDispose(stop);
  void refresh();

  return { runs, loading: readonly(loading), error: readonly(error) as Readonly<Ref<ApiError | null>>, refresh, stop };
}
