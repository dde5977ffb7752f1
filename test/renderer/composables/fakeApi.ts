/**
 * A WorkbenchApi for the composables' tests: `emit` plays an engine event to the listeners,
 * `listenerCount` tells whether subscriptions were ended, and runs.get/list/cancel reply from
 * values the test sets (runs.get can be held back to let live events overlap a catch-up); any other
 * call answers through `handle(call, answer)`.
 */
import type { CallName, CallParamsInput, CallResult, EventName, EventPayload, Reply, WorkbenchApi } from '../../../src-main/common/contract';
import { splitCallName } from '../../../src-main/common/contract';
import type { RunEvent } from '../../../src-main/common/runEvents';

type RunDetail = CallResult<'runs.get'>;

const unused = async (): Promise<Reply<never>> => ({ ok: false, error: { code: 'NOT_AVAILABLE', message: 'not used by this test' } });

export interface FakeApi {
  api: WorkbenchApi;
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  emitRun: (event: RunEvent) => void;
  listenerCount: () => number;
  calls: { get: number; cancel: number; list: number };
  /** What the next runs.get replies. */
  getReply: Reply<RunDetail>;
  /** When set, runs.get waits for `release()` before replying. */
  holdGet: boolean;
  release: () => void;
  listReply: Reply<CallResult<'runs.list'>>;
  cancelReply: Reply<CallResult<'runs.cancel'>>;
  /** Replaces one call's implementation; the params of every call to it are kept in `received`. */
  handle: <C extends CallName>(call: C, answer: (params: CallParamsInput<C>) => Reply<CallResult<C>> | Promise<Reply<CallResult<C>>>) => void;
  /** Params of the calls set up with `handle`, by call name, oldest first. */
  received: Partial<Record<CallName, unknown[]>>;
}

export function runDetail(runId: string, status: RunDetail['status'], events: RunEvent[]): RunDetail {
  return {
    runId,
    folder: `/runs/${runId}`,
    config: {} as RunDetail['config'],
    facts: null,
    status,
    events,
    report: null,
    label: { name: null, note: null },
  };
}

export function createFakeApi(): FakeApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let pending: (() => void)[] = [];
  const fake: FakeApi = {
    api: undefined as unknown as WorkbenchApi,
    calls: { get: 0, cancel: 0, list: 0 },
    getReply: { ok: false, error: { code: 'NOT_FOUND', message: 'no reply set' } },
    holdGet: false,
    release: () => {
      const waiting = pending;
      pending = [];
      for (const resolve of waiting) resolve();
    },
    listReply: { ok: true, value: { runs: [] } },
    cancelReply: { ok: true, value: { cancelled: true } },
    emit: (event, payload) => {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    },
    emitRun: (event) => fake.emit(event.event, event.payload),
    listenerCount: () => [...listeners.values()].reduce((total, set) => total + set.size, 0),
    received: {},
    handle: (call, answer) => {
      const { group, method } = splitCallName(call);
      const methods = fake.api[group] as unknown as Record<string, (params: unknown) => Promise<unknown>>;
      methods[method] = async (params: unknown) => {
        const received: unknown[] = fake.received[call] ?? [];
        received.push(params);
        fake.received[call] = received;
        return (answer as (params: unknown) => unknown)(params);
      };
    },
  };
  fake.api = {
    engine: { info: unused },
    models: { catalog: unused, export: unused, predict: unused, classify: unused },
    weights: { list: unused, download: unused, import: unused, reachable: unused },
    dataset: { scan: unused },
    files: { browse: unused, mkdir: unused },
    images: { thumbnails: unused },
    jobs: { export: unused, import: unused },
    runs: {
      start: unused,
      images: unused,
      label: unused,
      delete: unused,
      resume: unused,
      get: async () => {
        fake.calls.get += 1;
        // The reply is taken when the call is answered, as a real engine would read its history then.
        if (fake.holdGet) await new Promise<void>((resolve) => pending.push(resolve));
        return structuredClone(fake.getReply);
      },
      list: async () => {
        fake.calls.list += 1;
        return fake.listReply;
      },
      cancel: async () => {
        fake.calls.cancel += 1;
        return fake.cancelReply;
      },
    },
    on: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const entry = listener as (payload: unknown) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
  };
  return fake;
}
