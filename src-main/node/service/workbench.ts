/**
 * The Workbench service: the engine behind the contract, implemented once. Transports (Electron IPC,
 * WebSocket, direct calls from the CLI and tests) hand it a call name and whatever arrived; it
 * validates the parameters, runs the call, validates the result and answers with a plain envelope.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  CALLS,
  isCallName,
  replyError,
  validateEventPayload,
  validateParams,
  validateResult,
  type CallName,
  type CallParams,
  type CallResult,
  type EngineInfo,
  type EventName,
  type EventPayload,
  type ImportedWeightsEntry,
  type PretrainedWeightsEntry,
  type Reply,
  type Unsubscribe,
  type WorkbenchHandlers,
} from '../../common/contract';
import { WorkbenchError, toErrorData } from '../../common/errors';
import { inferenceEngineUsedSchema } from '../../common/runEvents';
import type { ModelJob, ModelJobOptions } from '../../common/trainerMessages';
import { exportsFolder, weightsFolder } from '../appPaths';
import { initBackend } from '../engine/backend';
import { removeStaleTempFiles } from '../io/atomicWrite';
import { DEFAULT_WEIGHTS_VARIANT } from '../weights/catalog';
import { ensureWeights, importWeights, listImportedWeights, listWeights, probeWeightsDownload, type EnsureWeightsOptions } from '../weights/weightsStore';
import { assertClassLinksAllowed } from '../dataset/imageFolderListing';
import { scanDataset } from './datasetScan';
import { cellImages } from './cellImages';
import { browseFiles, makeFolder } from './fileBrowser';
import { prepareJobExport, prepareJobImport } from './jobCalls';
import { allRunDataFolders, prepareClassify, prepareExport, preparePredict, runModelJob, type ExportJobResult } from './modelCalls';
import { modelCatalog } from './modelCatalog';
import { pathChecker, type PathChecker, type PathPolicy } from './pathPolicy';
import { RunManager } from './runManager';
import { thumbnails } from './thumbnails';
import { ModelJobQueue, type ModelJobQueueLimits } from './modelJobQueue';
import type { TrainerChannel } from './trainerHost';
import { RESNET_DEPTHS, type ResNetDepth } from '../../common/resnetSpec';
import type { CheckpointInspection } from '../weights/weightsStore';

/** One event as the service emits it; transports forward `event` and `payload` as they are. */
export type WorkbenchEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

export interface WorkbenchOptions {
  /** Chooses and starts the compute backend. Default: the engine's `initBackend()` chain. */
  startEngine?: () => Promise<EngineInfo>;
  /**
   * Where the weights are, which checkpoints are known and where they are downloaded from (no
   * `onProgress`/`signal`: the service sets those). Default: the weights store's defaults.
   */
  weights?: Omit<EnsureWeightsOptions, 'onProgress' | 'signal'>;
  /** Where run folders go. Default: `runsFolder()` (under RESNET_WORKBENCH_DATA when set), read at each call. */
  runsRoot?: string;
  /**
   * Decides which paths a caller may name (browser mode: only under its data roots). Called after a
   * path is checked to be absolute and before it is touched. Default: every absolute path.
   */
  pathPolicy?: PathPolicy;
  /**
   * Where `files.browse` starts, read at each call. Default: the user's home folder (the desktop app
   * has native dialogs; its browser is a fallback). Browser mode: its data roots and the runs folder.
   */
  browseRoots?: () => string[];
  /**
   * Starts a worker process for each run and each prediction or export (desktop: an Electron
   * utilityProcess; browser mode: a Node child process), so no training step or long model compute
   * runs in the process that serves the UI. Default: none — everything runs in this process (the CLI,
   * and tests that need no second process).
   */
  spawnWorker?: () => TrainerChannel;
  /** Caps on model jobs in worker processes (concurrency, queue, time limits). Default: the queue's. */
  modelJobLimits?: ModelJobQueueLimits;
  /** Where `models.export` writes when no path is given. Default: `exportsFolder()`, read at each call. */
  exportsFolder?: string;
  /**
   * Told of every export written (after it is complete); what it returns is the reply's `downloads`.
   * Browser mode registers the files for download; the desktop app records them for "Show in folder".
   * Default: nothing, no downloads.
   */
  onExported?: (written: ExportWritten) => ExportDownload[] | Promise<ExportDownload[]>;
}

/** What an export wrote: the model (a folder for tfjs) and its card. */
export interface ExportWritten {
  format: CallResult<'models.export'>['format'];
  path: string;
  card: string;
}

export type ExportDownload = NonNullable<CallResult<'models.export'>['downloads']>[number];

/** What a transport knows about a call beyond its parameters. */
export interface CallContext {
  /** Aborted when the caller goes away (its socket closed, its window was destroyed): its model job is ended. */
  signal?: AbortSignal;
}

/** A worker's answer to an 'inspect' job, checked like any message from another process. */
const inspectionSchema = z.strictObject({
  format: z.enum(['pth', 'safetensors']),
  depth: z
    .number()
    .refine((d) => (RESNET_DEPTHS as readonly number[]).includes(d))
    .transform((d) => d as ResNetDepth),
  numClasses: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export class Workbench {
  private readonly startEngine: () => Promise<EngineInfo>;
  private readonly weightsStore: Omit<EnsureWeightsOptions, 'onProgress' | 'signal'>;
  private readonly paths: PathChecker;
  /** The runs this engine trains, over the run folders on disk. */
  readonly runs: RunManager;
  private readonly listeners = new Set<(event: WorkbenchEvent) => void>();
  private engineAnnounced = false;

  /** The calls on validated parameters; `dispatch` is the way in for anything from outside. */
  readonly handlers: WorkbenchHandlers;
  private readonly modelJobs: ModelJobQueue | undefined;
  private readonly callContext = new AsyncLocalStorage<CallContext>();
  private readonly modelOptions: () => ModelJobOptions;

  constructor(options: WorkbenchOptions = {}) {
    this.startEngine = options.startEngine ?? (async () => ({ ...(await initBackend()), inference: await this.inferenceEngine() }));
    this.modelJobs = options.spawnWorker ? new ModelJobQueue(options.spawnWorker, options.modelJobLimits) : undefined;
    this.weightsStore = options.weights ?? {};
    this.paths = pathChecker(options.pathPolicy);
    this.runs = new RunManager({
      ...(options.runsRoot !== undefined ? { runsRoot: options.runsRoot } : {}),
      weightsOptions: this.weightsStore,
      paths: this.paths,
      emit: (record) => this.emit(record.event, record.payload),
      ...(options.spawnWorker ? { spawnWorker: options.spawnWorker } : {}),
    });
    const browseRoots = options.browseRoots ?? (() => [homedir()]);
    const runFolder = (runId: string): Promise<string> => this.runs.requireFolder(runId);
    this.modelOptions = (): ModelJobOptions => ({
      runsRoot: this.runs.runsRoot,
      ...(this.weightsStore.folder !== undefined ? { weightsFolder: this.weightsStore.folder } : {}),
    });
    this.handlers = {
      'engine.info': () => this.engineInfo(),
      'weights.list': () => this.weightsList(),
      'models.catalog': () => ({ models: modelCatalog() }),
      'dataset.scan': (params) => scanDataset(params, this.paths),
      'runs.start': async (params) => {
        await this.checkDataFolders(params.config);
        return this.runs.start(params.config);
      },
      'runs.cancel': (params) => this.runs.cancel(params.runId),
      'runs.label': (params) => this.runs.label(params.runId, params.label),
      'runs.delete': (params) => this.runs.delete(params.runId),
      'runs.resume': async (params) => {
        // The folders the run trained on are checked as a new run's are (it may have been started elsewhere).
        await this.checkDataFolders((await this.runs.get(params.runId)).config);
        return this.runs.resume(params.runId);
      },
      'runs.get': (params) => this.runs.get(params.runId),
      'runs.list': () => this.runs.list(),
      // A model job's result is checked against the call's result schema by dispatch.
      'models.export': async (params) => {
        const places = { exportsFolder: options.exportsFolder ?? exportsFolder(), dataFolders: () => allRunDataFolders(this.runs.runsRoot) };
        // A model job's result is checked against the call's result schema by dispatch.
        const written = (await this.modelJob(await prepareExport(params, this.paths, runFolder, places))) as ExportJobResult;
        // The files are written either way: a host that cannot offer them (a folder gone meanwhile) offers none.
        const downloads = (await Promise.resolve(options.onExported?.({ format: written.format, path: written.path, card: written.card })).catch(() => undefined)) ?? [];
        return { ...written, ...(downloads.length > 0 ? { downloads } : {}) };
      },
      'models.predict': async (params) => (await this.modelJob(await preparePredict(params, this.paths, runFolder))) as CallResult<'models.predict'>,
      'weights.download': (params) => this.weightsDownload(params.depth, params.variant),
      'weights.import': (params) => this.weightsImport(params),
      'weights.reachable': (params) => probeWeightsDownload(params.depth, params.variant, this.weightsStore),
      'files.browse': (params) => browseFiles(params, this.paths, browseRoots()),
      'files.mkdir': (params) => makeFolder(params, this.paths, () => allRunDataFolders(this.runs.runsRoot)),
      'images.thumbnails': (params) => thumbnails(params, this.paths),
      'models.classify': async (params) => (await this.modelJob(await prepareClassify(params, this.paths, runFolder))) as CallResult<'models.classify'>,
      'runs.images': async (params) => cellImages(await runFolder(params.runId), params),
      'jobs.export': async (params) => (await this.modelJob(await prepareJobExport(params, this.paths, runFolder))) as CallResult<'jobs.export'>,
      'jobs.import': async (params) => (await this.modelJob(await prepareJobImport(params, this.paths))) as CallResult<'jobs.import'>,
    };
  }

  /** The trainer lists the folders in its own process, without the caller's policy: check them and their links here. */
  private async checkDataFolders(config: { trainDir: string; testDir?: string | undefined }): Promise<void> {
    for (const root of [config.trainDir, config.testDir]) {
      // Only absolute paths are listed; anything else is refused by runs.start with its own message.
      if (root === undefined || !path.isAbsolute(root)) continue;
      await this.paths.mayRead(path.normalize(root));
      await assertClassLinksAllowed(path.normalize(root), (target) => this.paths.mayRead(target));
    }
  }

  /**
   * Removes the temp files that killed writers left behind (kill -9 between a write and its rename):
   * in the weights folder, its imported/ folder and every run folder. Writers still running are left
   * alone. Hosts call it once at start-up; it never throws.
   */
  async removeStaleTempFiles(): Promise<string[]> {
    const weights = this.weightsStore.folder ?? weightsFolder();
    const runs = this.runs.runsRoot;
    const runFolders = await readdir(runs, { withFileTypes: true }).catch(() => []);
    const folders = [weights, path.join(weights, 'imported'), runs, ...runFolders.filter((d) => d.isDirectory()).map((d) => path.join(runs, d.name))];
    const removed: string[] = [];
    for (const folder of folders) removed.push(...(await removeStaleTempFiles(folder)));
    return removed;
  }

  /**
   * Runs a call for a transport. Never throws: an unknown call or bad parameters are BAD_INPUT, a
   * WorkbenchError keeps its code, anything else is INTERNAL.
   */
  dispatch<C extends CallName>(call: C, rawParams: unknown, context?: CallContext): Promise<Reply<CallResult<C>>>;
  dispatch(call: string, rawParams: unknown, context?: CallContext): Promise<Reply<unknown>>;
  async dispatch(call: string, rawParams: unknown, context: CallContext = {}): Promise<Reply<unknown>> {
    if (!isCallName(call)) {
      return replyError({ code: 'BAD_INPUT', message: `Unknown call '${call}'; expected one of ${Object.keys(CALLS).join(', ')}.` });
    }
    const params = validateParams(call, rawParams);
    if (!params.ok) return params;
    try {
      const handler = this.handlers[call] as (params: unknown) => Promise<unknown> | unknown;
      return validateResult(call, await this.callContext.run(context, () => handler(params.value)));
    } catch (error) {
      return replyError(toErrorData(error));
    }
  }

  /**
   * Stops the engine's work before its process exits: idle model workers are ended, running runs
   * are cancelled (they end as 'cancelled' with their last checkpoint kept) and awaited.
   */
  async close(): Promise<void> {
    this.modelJobs?.close();
    await this.runs.stopAll();
  }

  /** A prepared model job, in the worker pool when the host gives workers, else here. */
  private async modelJob(job: ModelJob): Promise<unknown> {
    if (this.modelJobs) return this.modelJobs.run(job, this.modelOptions(), this.callContext.getStore()?.signal);
    return runModelJob(job, this.modelOptions());
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

  private async weightsList(): Promise<{ pretrained: PretrainedWeightsEntry[]; imported: ImportedWeightsEntry[] }> {
    const [pretrained, imported] = await Promise.all([listWeights(this.weightsStore), listImportedWeights(this.weightsStore)]);
    return {
      // The contract's flat subset of the catalog entries (what the UI shows).
      pretrained: pretrained.map((w) => ({
        depth: w.depth,
        variant: w.variant,
        torchvisionName: w.torchvisionName,
        fileName: w.fileName,
        url: w.url,
        sha256Prefix: w.sha256Prefix,
        top1: w.imagenet.top1,
        top5: w.imagenet.top5,
        parameters: w.parameters,
        gflops: w.gflops,
        resizeSize: w.preprocessing.resizeSize,
        cropSize: w.preprocessing.cropSize,
        isDefault: w.isDefault,
        isTorchvisionDefault: w.isTorchvisionDefault,
        present: w.present,
        bundled: w.bundled,
        path: w.path,
        ...(w.bytes !== undefined ? { bytes: w.bytes } : {}),
      })),
      imported: imported.map((w) => ({
        path: w.path,
        fileName: w.fileName,
        source: w.source,
        depth: w.depth,
        numClasses: w.numClasses,
        sha256: w.sha256,
        bytes: w.bytes,
        importedAt: w.importedAt,
      })),
    };
  }

  private async weightsDownload(depth: CallParams<'weights.download'>['depth'], variant: CallParams<'weights.download'>['variant']): Promise<CallResult<'weights.download'>> {
    const chosen = variant ?? DEFAULT_WEIGHTS_VARIANT;
    const ensured = await ensureWeights(depth, chosen, {
      ...this.weightsStore,
      onProgress: (p) => this.emit('weights.progress', { depth, variant: chosen, bytes: p.bytes, total: p.total ?? null, bytesPerSecond: p.bytesPerSecond }),
    });
    return { path: ensured.path, downloaded: ensured.downloaded };
  }

  private async weightsImport(params: CallParams<'weights.import'>): Promise<CallResult<'weights.import'>> {
    const file = await this.paths.existing(params.file, 'file', 'The checkpoint file');
    const result = await importWeights(file, {
      ...this.weightsStore,
      // The file is hostile input until parsed: parse it in a worker, never in the process serving the UI.
      ...(this.modelJobs ? { inspect: async (source: string): Promise<CheckpointInspection> => this.inspectInWorker(source) } : {}),
      ...(params.depth !== undefined ? { depth: params.depth } : {}),
      ...(params.variant !== undefined ? { variant: params.variant } : {}),
    });
    return {
      kind: result.kind,
      path: result.path,
      source: result.source,
      depth: result.depth,
      numClasses: result.numClasses,
      sha256: result.sha256,
      bytes: result.bytes,
      alreadyPresent: result.alreadyPresent,
      torchvisionName: result.kind === 'pretrained' ? result.weights.torchvisionName : null,
    };
  }

  private inference: Promise<EngineInfo['inference']> | undefined;

  /**
   * The frozen-network engine, asked once of a worker process (loading ONNX Runtime and probing GPU
   * providers is a worker's job, never the UI process's). A failure is not cached: the next call asks again.
   */
  private inferenceEngine(): Promise<EngineInfo['inference']> {
    this.inference ??= this.modelJob({ kind: 'inference' }).then(
      (value) => inferenceEngineUsedSchema.parse(value),
      (error: unknown) => {
        this.inference = undefined;
        throw error;
      },
    );
    return this.inference;
  }

  private async inspectInWorker(file: string): Promise<CheckpointInspection> {
    const parsed = inspectionSchema.safeParse(await this.modelJob({ kind: 'inspect', file }));
    if (!parsed.success) throw new WorkbenchError('INTERNAL', 'The worker process sent a malformed checkpoint inspection.');
    return parsed.data;
  }

  private async engineInfo(): Promise<EngineInfo> {
    let info: EngineInfo;
    try {
      info = await this.startEngine();
    } catch (error) {
      if (error instanceof WorkbenchError) throw error;
      throw new WorkbenchError('BACKEND', error instanceof Error ? error.message : String(error), { cause: error });
    }
    const inference = info.inference ? inferenceEngineUsedSchema.parse(info.inference) : undefined;
    // Plain data only: the engine's object may carry more than the contract says.
    const result = {
      backend: info.backend,
      tfjsBackend: info.tfjsBackend,
      versions: { ...info.versions },
      convGradients: info.convGradients,
      skipped: info.skipped.map(({ backend, reason }) => ({ backend, reason })),
      ...(inference ? { inference } : {}),
    };
    if (!this.engineAnnounced) {
      this.engineAnnounced = true;
      this.emit('engine.ready', result);
    }
    return result;
  }
}
