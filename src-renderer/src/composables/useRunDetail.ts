/**
 * One past run in full (settings, events, report) from runs.get, for a history's detail panel.
 * Only the last run asked for is shown: an older reply arriving late is dropped.
 */
import { readonly, ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { CallResult, WorkbenchApi } from '../../../src-main/common/contract';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';

export type RunDetail = CallResult<'runs.get'>;

export interface UseRunDetail {
  /** The run asked for last; null when none is. */
  runId: Readonly<Ref<string | null>>;
  detail: Readonly<ShallowRef<RunDetail | null>>;
  loading: Readonly<Ref<boolean>>;
  error: Readonly<ShallowRef<ApiError | null>>;
  load: (runId: string) => Promise<void>;
  clear: () => void;
}

export function useRunDetail(api: WorkbenchApi): UseRunDetail {
  const runId = ref<string | null>(null);
  const detail = shallowRef<RunDetail | null>(null);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  let generation = 0;

  async function load(id: string): Promise<void> {
    const mine = ++generation;
    runId.value = id;
    detail.value = null;
    error.value = null;
    loading.value = true;
    try {
      const reply = unwrap(await api.runs.get({ runId: id }));
      if (mine === generation) detail.value = reply;
    } catch (caught) {
      if (mine === generation) error.value = toApiError(caught);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  function clear(): void {
    generation += 1;
    runId.value = null;
    detail.value = null;
    error.value = null;
    loading.value = false;
  }

  return { runId: readonly(runId), detail, loading: readonly(loading), error, load, clear };
}
