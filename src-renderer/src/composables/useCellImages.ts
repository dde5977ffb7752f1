/**
 * The evaluation images of one confusion-matrix cell, from runs.images. Only the last cell asked
 * for is shown: a reply to an earlier request is dropped. The engine keeps per-image results for
 * the latest and the best epoch only; asking for another epoch is NOT_FOUND, which `notKept` tells.
 */
import { computed, readonly, ref, shallowRef, type ComputedRef, type Ref, type ShallowRef } from 'vue';
import type { CallResult, WorkbenchApi } from '../../../src-main/common/contract';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';

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
  const query = shallowRef<CellQuery | null>(null);
  const result = shallowRef<CellImages | null>(null);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  let generation = 0;

  async function open(next: CellQuery): Promise<void> {
    const mine = ++generation;
    query.value = next;
    result.value = null;
    error.value = null;
    loading.value = true;
    try {
      const reply = unwrap(await api.runs.images({ ...next, limit: CELL_IMAGE_LIMIT }));
      if (mine === generation) result.value = reply;
    } catch (caught) {
      if (mine === generation) error.value = toApiError(caught);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  function close(): void {
    generation += 1;
    query.value = null;
    result.value = null;
    error.value = null;
    loading.value = false;
  }

  const notKept = computed(() => error.value?.code === 'NOT_FOUND');

  return { query, result, loading: readonly(loading), error, notKept, open, close };
}
