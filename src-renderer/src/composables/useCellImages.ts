/**
 * The evaluation images of one confusion-matrix cell, from runs.images. Only the last cell asked
 * for is shown: a reply to an earlier request is dropped. The engine keeps per-image results for
 * the latest and the best epoch only; asking for another epoch is NOT_FOUND, which `notKept` tells.
 */
import { computed, type ComputedRef, type Ref, type ShallowRef } from 'vue';
import type { CallResult, WorkbenchApi } from '../../../src-main/common/contract';
import type { ApiError } from '../api/workbench';
import { useLatestReply } from './useLatestReply';

export interface CellQuery {
  runId: string;
  epoch: number;
  /** Class indices: the matrix's row and column. */
  actual: number;
  predicted: number;
}

export type CellImages = CallResult<'runs.images'>;

export interface UseCellImages {
  /** The cell on show; null when none is. */
  query: Readonly<Ref<CellQuery | null>>;
  result: Readonly<ShallowRef<CellImages | null>>;
  loading: Readonly<Ref<boolean>>;
  error: Readonly<Ref<ApiError | null>>;
  /** The engine did not keep this epoch's per-image results. */
  notKept: ComputedRef<boolean>;
  open: (query: CellQuery) => Promise<void>;
  close: () => void;
}

/** Images listed at most (the cell's total is still told). */
export const CELL_IMAGE_LIMIT = 200;

export function useCellImages(api: WorkbenchApi): UseCellImages {
  const latest = useLatestReply((query: CellQuery) => api.runs.images({ ...query, limit: CELL_IMAGE_LIMIT }));
  const notKept = computed(() => latest.error.value?.code === 'NOT_FOUND');
  return { query: latest.query, result: latest.result, loading: latest.loading, error: latest.error, notKept, open: latest.load, close: latest.clear };
}
