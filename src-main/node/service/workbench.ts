/**
 * The Workbench service: the engine behind the contract, implemented once. Transports (Electron IPC,
 * WebSocket, direct calls from the CLI and tests) hand it a call name and whatever arrived; it
 * validates the parameters, runs the call, validates the result and answers with a plain envelope.
 */
import {
  CALLS,
  isCallName,
  replyError,
  validateEventPayload,
  validateParams,
  validateResult,
  type CallName,
  type CallResult,
  type EngineInfo,
  type EventName,
  type EventPayload,
  type Reply,
  type Unsubscribe,
  type WeightsEntry,
  type WorkbenchHandlers,
} from '../../common/contract';
import { WorkbenchError, toErrorData } from '../../common/errors';
import { initBackend } from '../engine/backend';
import { modelCatalog } from './modelCatalog';

/** One event as the service emits it; transports forward `event` and `payload` as they are. */
export type WorkbenchEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

export interface WorkbenchOptions {
  /** Chooses and starts the compute backend. Default: the engine's `initBackend()` chain. */
  startEngine?: () => Promise<EngineInfo>;
  /** Lists the pretrained checkpoints and their presence. Default: not available (fails clearly). */
  listWeights?: () => Promise<WeightsEntry[]>;
}

export class Workbench {
  private readonly startEngine: () => Promise<EngineInfo>;
  private readonly listWeights: () => Promise<WeightsEntry[]>;
  private readonly listeners = new Set<(event: WorkbenchEvent) => void>();
  private engineAnnounced = false;

  /** The calls on validated parameters; `dispatch` is the way in for anything from outside. */
  readonly handlers: WorkbenchHandlers;

  constructor(options: WorkbenchOptions = {}) {
    this.startEngine = options.startEngine ?? (() => initBackend());
    this.listWeights =
      options.listWeights ??
      (() => Promise.reject(new WorkbenchError('NOT_AVAILABLE', 'Listing pretrained weights is not available in this build.')));
    this.handlers = {
      'engine.info': () => this.engineInfo(),
      'weights.list': async () => ({ weights: await this.listWeights() }),
      'models.catalog': () => ({ models: modelCatalog() }),
    };
  }

  /**
   * Runs a call for a transport. Never throws: an unknown call or bad parameters are BAD_INPUT, a
   * WorkbenchError keeps its code, anything else is INTERNAL.
   */
  dispatch<C extends CallName>(call: C, rawParams: unknown): Promise<Reply<CallResult<C>>>;
  dispatch(call: string, rawParams: unknown): Promise<Reply<unknown>>;
  async dispatch(call: string, rawParams: unknown): Promise<Reply<unknown>> {
    if (!isCallName(call)) {
      return replyError({ code: 'BAD_INPUT', message: `Unknown call '${call}'; expected one of ${Object.keys(CALLS).join(', ')}.` });
    }
    const params = validateParams(call, rawParams);
    if (!params.ok) return params;
    try {
      const handler = this.handlers[call] as (params: unknown) => Promise<unknown> | unknown;
      return validateResult(call, await handler(params.value));
    } catch (error) {
      return replyError(toErrorData(error));
    }
  }

  /** Subscribes to every event the service emits. */
  onEvent(listener: (event: WorkbenchEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Emits an event after checking it against the contract: a mismatch is our bug, so it throws. */
  protected emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const checked = validateEventPayload(event, payload);
    if (!checked.ok) throw new WorkbenchError('INTERNAL', checked.error.message);
    const message = { event, payload: checked.value } as WorkbenchEvent;
    for (const listener of this.listeners) listener(message);
  }

  private async engineInfo(): Promise<EngineInfo> {
    let info: EngineInfo;
    try {
      info = await this.startEngine();
    } catch (error) {
      if (error instanceof WorkbenchError) throw error;
      throw new WorkbenchError('BACKEND', error instanceof Error ? error.message : String(error), { cause: error });
    }
    // Plain data only: the engine's object may carry more than the contract says.
    const result = {
      backend: info.backend,
      tfjsBackend: info.tfjsBackend,
      versions: { ...info.versions },
      convGradients: info.convGradients,
      skipped: info.skipped.map(({ backend, reason }) => ({ backend, reason })),
    };
    if (!this.engineAnnounced) {
      this.engineAnnounced = true;
      this.emit('engine.ready', result);
    }
    return result;
  }
}
