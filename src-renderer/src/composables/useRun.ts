/**
 * One run, live: `useRun(api, runId)` subscribes to the run's events, catches up with `runs.get`
 * on start and whenever `resync()` is called (the transport's reconnect; 'engine.ready' triggers
 * it too), and exposes what a run screen shows. Call it in a component's setup or an effectScope:
 * the subscriptions end when that scope is disposed.
 *
 * Merge rule (see support/runState.ts): while a catch-up is in flight, live events are buffered;
 * when the reply arrives its history is applied first and the buffered events after it. Events
 * that happen once per run are applied once, by (event, epoch, batch) identity, so the overlap
 * between the history and the live stream is dropped; the last run.progress applied wins.
 *
 * Live events are applied in batches, at most every LIVE_APPLY_INTERVAL_MS: a linear run on small
 * images ends tens of epochs a second, each with an evaluation, and applying each event alone
 * re-rendered the charts, the matrix and the tables every time, which kept a tab's main thread
 * busy for most of a second in every second (two tabs on one run: clicks took 20 s to land).
 * An event that ends the run is applied at once, with everything held before it.
 */
import { getCurrentScope, onScopeDispose, readonly, ref, shallowRef, triggerRef, type Ref, type ShallowRef } from 'vue';
import type { RunStatus, Unsubscribe, WorkbenchApi } from '../../../src-main/common/contract';
import { RUN_EVENT_SCHEMAS, type RunEvent, type RunEventName } from '../../../src-main/common/runEvents';
import { ApiError, unwrap } from '../api/workbench';
import { appendToRunSeries, emptyRunSeries, type RunSeries } from '../support/runSeries';
import { INITIAL_RUN_STATE, reduceRunEvent, runEventKey, withReportedStatus, type RunEvaluation, type RunProgress, type RunState } from '../support/runState';

const RUN_EVENT_NAMES = Object.keys(RUN_EVENT_SCHEMAS) as RunEventName[];

/** The shortest time between two applications of live events (a screen redraw each). */
export const LIVE_APPLY_INTERVAL_MS = 200;

export interface UseRun {
  status: Readonly<Ref<RunStatus | null>>;
  progress: Readonly<Ref<RunProgress | null>>;
  /** Seconds left in the whole run; null when unknown or ended. */
  etaSeconds: Readonly<Ref<number | null>>;
  /** Mutated in place and triggered on change: read it in a watcher or computed, not by copy. */
  series: Readonly<ShallowRef<RunSeries>>;
  latestEvaluation: Readonly<Ref<RunEvaluation | null>>;
  /** The whole folded state (started/finished/failure included). */
  state: Readonly<ShallowRef<RunState>>;
  /** The name the user gave the run (runs.label), as of the last catch-up; null when none. */
  name: Readonly<Ref<string | null>>;
  /** True while a catch-up is in flight. */
  loading: Readonly<Ref<boolean>>;
  /** The last failed call (catch-up or cancel); cleared by the next successful catch-up. */
  error: Readonly<Ref<ApiError | null>>;
  /** Catches up with runs.get again (after a reconnect). */
  resync: () => Promise<void>;
  /** Asks the engine to stop the run; false when it is not running there or the call failed. */
  cancel: () => Promise<boolean>;
  /** Ends the subscriptions now (the scope's disposal does it too). */
  stop: () => void;
}

/** A rejected call (a transport failure) as an ApiError, so the screen has one kind to show. */
export function toApiError(caught: unknown): ApiError {
  if (caught instanceof ApiError) return caught;
  return new ApiError({ code: 'INTERNAL', message: caught instanceof Error ? caught.message : String(caught) });
}

export function useRun(api: WorkbenchApi, runId: string): UseRun {
  const state = shallowRef<RunState>(INITIAL_RUN_STATE);
  const series = shallowRef<RunSeries>(emptyRunSeries());
  const name = ref<string | null>(null);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  const status = ref<RunStatus | null>(null);
  const progress = shallowRef<RunProgress | null>(null);
  const etaSeconds = ref<number | null>(null);
  const latestEvaluation = shallowRef<RunEvaluation | null>(null);

  const applied = new Set<string>();
  /** Live events held back while a catch-up is in flight; null when none is. */
  let buffer: RunEvent[] | null = null;
  /** Live events waiting for the next application, and its timer. */
  let pending: RunEvent[] = [];
  let pendingTimer: ReturnType<typeof setTimeout> | null = null;
  let lastApplied = Number.NEGATIVE_INFINITY;
  /** Each resync gets a number; only the latest one's reply is applied. */
  let generation = 0;
  let stopped = false;

  function publish(next: RunState): void {
    state.value = next;
    status.value = next.status;
    progress.value = next.progress;
    etaSeconds.value = next.etaSeconds;
    latestEvaluation.value = next.latestEvaluation;
  }

  /** Applies events in order, dropping duplicates; publishes once. */
  function apply(events: readonly RunEvent[]): void {
    let next = state.value;
    let seriesChanged = false;
    for (const event of events) {
      const key = runEventKey(event);
      if (key !== null) {
        if (applied.has(key)) continue;
        applied.add(key);
      }
      next = reduceRunEvent(next, event);
      seriesChanged = appendToRunSeries(series.value, event) || seriesChanged;
    }
    if (next !== state.value) publish(next);
    if (seriesChanged) triggerRef(series);
  }

  /** Takes the live events not yet applied, cancelling their timer. */
  function takePending(): RunEvent[] {
    if (pendingTimer !== null) clearTimeout(pendingTimer);
    pendingTimer = null;
    const taken = pending;
    pending = [];
    return taken;
  }

  function applyPending(): void {
    lastApplied = Date.now();
    apply(takePending());
  }

  function receive(event: RunEvent): void {
    if (stopped || event.payload.runId !== runId) return;
    if (buffer !== null) {
      buffer.push(event);
      return;
    }
    pending.push(event);
    if (event.event === 'run.finished' || event.event === 'run.failed') {
      applyPending();
      return;
    }
    if (pendingTimer !== null) return;
    const wait = lastApplied + LIVE_APPLY_INTERVAL_MS - Date.now();
    if (wait <= 0) applyPending();
    else pendingTimer = setTimeout(applyPending, wait);
  }

  function listen<E extends RunEventName>(name: E): Unsubscribe {
    // The contract's payload for a run event is the same schema's output as RunEventPayload<E>.
    return api.on(name, (payload) => receive({ event: name, payload } as unknown as RunEvent));
  }

  async function resync(): Promise<void> {
    if (stopped) return;
    const mine = ++generation;
    // Events not yet applied wait for the history with the ones that come during the catch-up.
    buffer = [...(buffer ?? []), ...takePending()];
    loading.value = true;
    try {
      const reply = unwrap(await api.runs.get({ runId }));
      if (stopped || mine !== generation) return;
      const live = buffer;
      buffer = null;
      apply([...(reply.events as RunEvent[]), ...live]);
      publish(withReportedStatus(state.value, reply.status));
      name.value = reply.label.name;
      error.value = null;
    } catch (caught) {
      if (stopped || mine !== generation) return;
      error.value = toApiError(caught);
      // Without history the live events are still worth showing.
      const live = buffer ?? [];
      buffer = null;
      apply(live);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function cancel(): Promise<boolean> {
    try {
      return unwrap(await api.runs.cancel({ runId })).cancelled;
    } catch (caught) {
      error.value = toApiError(caught);
      return false;
    }
  }

  const unsubscribes: Unsubscribe[] = RUN_EVENT_NAMES.map((name) => listen(name));
  unsubscribes.push(api.on('engine.ready', () => void resync()));

  function stop(): void {
    if (stopped) return;
    stopped = true;
    buffer = null;
    takePending();
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
  }

  if (getCurrentScope()) onScopeDispose(stop);
  void resync();

  return {
    status: readonly(status),
    progress: readonly(progress) as Readonly<Ref<RunProgress | null>>,
    etaSeconds: readonly(etaSeconds),
    series,
    latestEvaluation: readonly(latestEvaluation) as Readonly<Ref<RunEvaluation | null>>,
    state,
    name: readonly(name),
    loading: readonly(loading),
    error: readonly(error) as Readonly<Ref<ApiError | null>>,
    resync,
    cancel,
    stop,
  };
}
