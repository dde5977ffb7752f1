/**
 * The engine's active backend and what it allows: `engine.info` on start, replaced by every
 * `engine.ready` (the engine restarted, or a browser reconnected). The subscription ends with the
 * calling scope (or `stop()`).
 */
import { getCurrentScope, onScopeDispose, readonly, ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { EngineInfo, Unsubscribe, WorkbenchApi } from '../../../src-main/common/contract';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';

export interface UseEngine {
  /** Null until the engine has said which backend it uses. */
  info: Readonly<ShallowRef<EngineInfo | null>>;
  /** The failed engine.info call; cleared when the engine reports its backend. */
  error: Readonly<Ref<ApiError | null>>;
  refresh: () => Promise<void>;
  stop: () => void;
}

export function useEngine(api: WorkbenchApi): UseEngine {
  const info = shallowRef<EngineInfo | null>(null);
  const error = ref<ApiError | null>(null);

  function accept(value: EngineInfo): void {
    info.value = value;
    error.value = null;
  }

  async function refresh(): Promise<void> {
    try {
      accept(unwrap(await api.engine.info()));
    } catch (caught) {
      error.value = toApiError(caught);
    }
  }

  const unsubscribe: Unsubscribe = api.on('engine.ready', accept);
  if (getCurrentScope()) onScopeDispose(unsubscribe);
  void refresh();

  return { info, error: readonly(error) as Readonly<Ref<ApiError | null>>, refresh, stop: unsubscribe };
}
