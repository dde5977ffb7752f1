/**
 * The live run of whichever run id is selected: a fresh useRun for each id, in a scope of its own
 * that ends when the selection changes (or the caller's scope does), so a screen that stays alive
 * while the user opens another run never listens for two.
 */
import { effectScope, getCurrentScope, onScopeDispose, shallowRef, watch, type EffectScope, type ShallowRef, type WatchSource } from 'vue';
import type { WorkbenchApi } from '../../../src-main/common/contract';
import { useRun, type UseRun } from './useRun';

export function useSelectedRun(api: WorkbenchApi, runId: WatchSource<string | null>): Readonly<ShallowRef<UseRun | null>> {
  const run = shallowRef<UseRun | null>(null);
  let scope: EffectScope | null = null;

  function follow(id: string | null): void {
    scope?.stop();
    scope = null;
    run.value = null;
    if (id === null) return;
    // Detached: its lifetime is the selection's, not the watcher's.
    scope = effectScope(true);
    run.value = scope.run(() => useRun(api, id)) ?? null;
  }

  watch(runId, follow, { immediate: true });
  if (getCurrentScope()) {
    onScopeDispose(() => {
      scope?.stop();
      scope = null;
    });
  }
  return run;
}
