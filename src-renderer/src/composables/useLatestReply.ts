/**
 * One engine request whose reply is on show, for a panel that shows one thing at a time: each
 * request replaces the last, and a reply arriving after a newer request (or a clear) is dropped,
 * so clicking quickly through rows never shows an older row's reply.
 */
import { readonly, ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { Reply } from '../../../src-main/common/contract';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';

export interface UseLatestReply<Query, Result> {
  /** What was asked for last; null when nothing is. */
  query: Readonly<ShallowRef<Query | null>>;
  result: Readonly<ShallowRef<Result | null>>;
  loading: Readonly<Ref<boolean>>;
  error: Readonly<ShallowRef<ApiError | null>>;
  load: (query: Query) => Promise<void>;
  clear: () => void;
}

export function useLatestReply<Query, Result>(request: (query: Query) => Promise<Reply<Result>>): UseLatestReply<Query, Result> {
  const query = shallowRef<Query | null>(null);
  const result = shallowRef<Result | null>(null);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  let generation = 0;

  async function load(next: Query): Promise<void> {
    const mine = ++generation;
    query.value = next;
    result.value = null;
    error.value = null;
    loading.value = true;
    try {
      const reply = unwrap(await request(next));
      if (mine === generation) result.value = reply;
    } catch (caught) {
      if (mine === generation) error.value = toApiError(caught);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  function clear(): void {
    generation += 1;
    query.value = null;
    result.value = null;
    error.value = null;
    loading.value = false;
  }

  return { query, result, loading: readonly(loading), error, load, clear };
}
