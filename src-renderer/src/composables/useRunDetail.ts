/**
 * One past run in full (settings, events, report) from runs.get, for a history's detail panel.
 * Only the last run asked for is shown: an older reply arriving late is dropped.
 */
import type { Ref, ShallowRef } from 'vue';
import type { CallResult, WorkbenchApi } from '../../../src-main/common/contract';
import type { ApiError } from '../api/workbench';
import { useLatestReply } from './useLatestReply';

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
  const latest = useLatestReply((runId: string) => api.runs.get({ runId }));
  return { runId: latest.query, detail: latest.result, loading: latest.loading, error: latest.error, load: latest.load, clear: latest.clear };
}
