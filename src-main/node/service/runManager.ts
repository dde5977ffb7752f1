/**
 * The runs behind `runs.start`, `runs.cancel`, `runs.get` and `runs.list`: a registry of the runs this
 * engine started (id → abort controller, promise, status) over the run folders on disk.
 *
 * One run at a time: a second `runs.start` while one is active is refused with BUSY. Several windows
 * or browser tabs may share this engine, and two runs would compete for the one GPU (or the CPU) and
 * its memory, making both slow and risking out-of-memory failures of both; the UI shows the active
 * run instead, and `runs.list` tells every tab which one it is.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CallResult, RunEventRecord, RunStatus, RunSummary } from '../../common/contract';
import { WorkbenchError, toErrorData } from '../../common/errors';
import type { RunConfig } from '../../common/runConfig';
import { runsFolder } from '../appPaths';
import { trainRun, type RunReport } from '../train/trainer';
import { checkpointPath, openRunFolder, type RunRecord } from '../train/runFolder';
import type { EnsureWeightsOptions } from '../weights/weightsStore';
import type { PathChecker } from './pathPolicy';
import { readEventRecords, readLastEvent, readRunReport, statusOnDisk } from './runHistory';
import { readRunLabel, writeRunLabel, type RunLabel } from './runLabel';
import { runInTrainerProcess, type TrainerChannel } from './trainerHost';

export interface RunManagerOptions {
  /** Where run folders go. Default: `runsFolder()`, read at each call (so RESNET_WORKBENCH_DATA applies). */
  runsRoot?: string;
  /** Passed to the trainer for 'imagenet' weights. */
  weightsOptions?: EnsureWeightsOptions;
  paths: PathChecker;
  /** Receives every run event, with the run's id, in the order the trainer sent them. */
  emit: (event: RunEventRecord) => void;
  /** Starts a trainer process per run; without it runs train in this process. */
  spawnWorker?: () => TrainerChannel;
}

interface RegisteredRun {
  runId: string;
  folder: string;
  config: RunConfig;
  startedAt: string;
  controller: AbortController;
  /** Settles when the run has ended and its events are on disk; never rejects. */
  done: Promise<void>;
  status: RunStatus;
  /** Events sent before the run folder existed (scanning, weights): metrics.jsonl does not hold them. */
  early: RunEventRecord[];
  folderExists: boolean;
  /** Whether the trainer sent run.finished or run.failed itself. */
  ended: boolean;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
}

export class RunManager {
  private readonly runs = new Map<string, RegisteredRun>();

  constructor(private readonly options: RunManagerOptions) {}

  get runsRoot(): string {
    return path.resolve(this.options.runsRoot ?? runsFolder());
  }

  /** The id of the run being trained now, if any. */
  activeRunId(): string | undefined {
    for (const run of this.runs.values()) if (run.status === 'running') return run.runId;
    return undefined;
  }

  /** Resolves when the run has ended (for tests and for shutting down); immediately for unknown ids. */
  async settled(runId: string): Promise<void> {
    await this.runs.get(runId)?.done;
  }

  async start(input: RunConfig): Promise<CallResult<'runs.start'>> {
    this.assertIdle();
    const { paths } = this.options;
    const config: RunConfig = {
      ...input,
      trainDir: await paths.existing(input.trainDir, 'folder', 'The train folder'),
      ...(input.testDir !== undefined ? { testDir: await paths.existing(input.testDir, 'folder', 'The test folder') } : {}),
      ...(input.weights !== 'imagenet' && input.weights !== 'none' ? { weights: await paths.existing(input.weights, 'file', 'The weights file') } : {}),
    };
    // Checked again after the awaits above: another start may have slipped in meanwhile.
    this.assertIdle();

    // The id is chosen here, not by the trainer, so the caller has it at once (the trainer makes the
    // folder only after scanning the data and loading the weights).
    const runId = `${timestamp(new Date())}-resnet${config.depth}-${randomBytes(3).toString('hex')}`;
    return this.launch(runId, path.join(this.runsRoot, runId), config, undefined);
  }

  /**
   * Continues a run that stopped (cancelled, failed, interrupted) in its own folder with its own
   * settings, from its last checkpoint: the trainer's resume. A finished run has nothing to continue.
   */
  async resume(runId: string): Promise<CallResult<'runs.resume'>> {
    this.assertIdle();
    const folder = await this.requireFolder(runId);
    const record = await openRunFolder(folder, this.runsRoot);
    const status = this.runs.get(runId)?.status ?? statusOnDisk((await readRunReport(folder)) !== null, await readLastEvent(folder));
    if (status === 'finished') throw new WorkbenchError('BAD_INPUT', `The run ${runId} has finished: there is nothing to continue. Start a new run with more epochs instead.`);
    this.assertIdle();
    return this.launch(record.id, folder, record.config, folder);
  }

  /** Registers a run and trains it in the background; its events go to every listener with its id. */
  private launch(runId: string, folder: string, config: RunConfig, resume: string | undefined): CallResult<'runs.start'> {
    const controller = new AbortController();
    const run: RegisteredRun = {
      runId,
      folder,
      config,
      startedAt: new Date().toISOString(),
      controller,
      done: Promise.resolve(),
      status: 'running',
      early: [],
      folderExists: resume !== undefined,
      ended: false,
    };
    this.runs.set(runId, run);
    const onEvent = (event: RunEventRecord): void => {
      // Events sent before the folder exists carry a placeholder id; every listener gets the real one.
      const record = { event: event.event, payload: { ...event.payload, runId } } as RunEventRecord;
      if (record.event === 'run.started') run.folderExists = true;
      // The status follows the terminal event at once, so a listener asking runs.get on hearing it agrees.
      if (record.event === 'run.finished') run.status = 'finished';
      if (record.event === 'run.failed') run.status = record.payload.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
      if (record.event === 'run.finished' || record.event === 'run.failed') run.ended = true;
      if (!run.folderExists) run.early.push(record);
      this.options.emit(record);
    };
    // The trainer already throttles run.batch to about 8 a second; they are forwarded as they come.
    run.done = this.train(runId, config, folder, resume, controller.signal, onEvent).then(
      () => {
        run.status = 'finished';
        run.ended = true;
      },
      (error: unknown) => {
        const cancelled = controller.signal.aborted || (error instanceof WorkbenchError && error.code === 'CANCELLED');
        run.status = cancelled ? 'cancelled' : 'failed';
        // Failures before the trainer's own try (scanning, weights) end without a run.failed: the UI
        // still needs to hear how the run ended.
        if (!run.ended) {
          run.ended = true;
          const data = cancelled ? { code: 'CANCELLED' as const, message: 'Training was cancelled.' } : toErrorData(error);
          onEvent({ event: 'run.failed', payload: { runId, folder, error: data, checkpoint: null } });
        }
      },
    );
    return { runId, folder };
  }

  /** Trains in a trainer process when one can be started, else in this process. */
  private async train(
    runId: string,
    config: RunConfig,
    folder: string,
    resume: string | undefined,
    signal: AbortSignal,
    onEvent: (event: RunEventRecord) => void,
  ): Promise<RunReport> {
    const { spawnWorker, weightsOptions } = this.options;
    const where = { runsRoot: this.runsRoot, ...(resume ? { resume } : { outFolder: folder }) };
    if (!spawnWorker) {
      return await trainRun({ config, ...where, signal, ...(weightsOptions ? { weightsOptions } : {}), onEvent });
    }
    // Only plain settings cross to the trainer process; it finds the weights folder the same way.
    const crossing = {
      ...(weightsOptions?.folder !== undefined ? { folder: weightsOptions.folder } : {}),
      ...(weightsOptions?.baseUrl !== undefined ? { baseUrl: weightsOptions.baseUrl } : {}),
      ...(weightsOptions?.timeoutMs !== undefined ? { timeoutMs: weightsOptions.timeoutMs } : {}),
    };
    const trainer = runInTrainerProcess(spawnWorker(), runId, { config, ...where, weightsOptions: crossing }, onEvent);
    signal.addEventListener('abort', () => trainer.cancel(), { once: true });
    return await trainer.done;
  }

  /** Cancels every running run and waits until each has ended (an engine shutting down). */
  async stopAll(): Promise<void> {
    const running = [...this.runs.values()].filter((run) => run.status === 'running');
    for (const run of running) run.controller.abort();
    await Promise.all(running.map((run) => run.done));
  }

  private assertIdle(): void {
    const busy = this.activeRunId();
    if (busy) throw new WorkbenchError('BUSY', `The run ${busy} is still running; cancel it or wait for it to end before starting another.`, { runId: busy });
  }

  cancel(runId: string): CallResult<'runs.cancel'> {
    const run = this.runs.get(runId);
    if (!run || run.status !== 'running') return { cancelled: false };
    run.controller.abort();
    return { cancelled: true };
  }

  async get(runId: string): Promise<CallResult<'runs.get'>> {
    const run = this.runs.get(runId);
    // An ended run is only flushing its last events to metrics.jsonl (milliseconds): wait for them.
    if (run?.ended) await run.done;
    const folder = run?.folder ?? this.folderOf(runId);
    const record = await this.openRecord(folder, run);
    if (!record) {
      // Only a run of ours can lack its folder: it is still scanning, or ended before making it.
      const known = run as RegisteredRun;
      return { runId, folder, config: known.config, facts: null, status: known.status, events: [...known.early], report: null, label: { name: null, note: null } };
    }
    const [events, report, label] = await Promise.all([readEventRecords(folder), readRunReport(folder), readRunLabel(folder)]);
    return {
      runId,
      folder,
      config: record.config,
      facts: { ...record.facts },
      status: run?.status ?? statusOnDisk(report !== null, events.at(-1)),
      events,
      report,
      label,
    };
  }

  /** Runs under the runs folder (and ours that have no folder yet), newest first. */
  async list(): Promise<CallResult<'runs.list'>> {
    const root = this.runsRoot;
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    const runs: RunSummary[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const folder = path.join(root, entry.name);
      const record = await openRunFolder(folder, root).catch(() => undefined);
      if (!record) continue; // Not a run folder, or one this version cannot read.
      const report = await readRunReport(folder);
      const ours = this.runs.get(record.id);
      seen.add(record.id);
      const accuracy = report?.testAccuracy;
      const [label, checkpoint] = await Promise.all([readRunLabel(folder), stat(checkpointPath(folder, 'last')).catch(() => undefined)]);
      runs.push({
        runId: record.id,
        folder,
        status: ours?.status ?? statusOnDisk(report !== null, await readLastEvent(folder)),
        createdAt: record.facts.createdAt,
        depth: record.config.depth,
        mode: record.config.mode,
        classes: [...record.facts.classes],
        testAccuracy: typeof accuracy === 'number' ? accuracy : null,
        ...label,
        hasCheckpoint: checkpoint !== undefined || report !== null,
      });
    }
    for (const run of this.runs.values()) {
      if (seen.has(run.runId) || run.folderExists) continue;
      runs.push({
        runId: run.runId,
        folder: run.folder,
        status: run.status,
        createdAt: run.startedAt,
        depth: run.config.depth,
        mode: run.config.mode,
        classes: [],
        testAccuracy: null,
        name: null,
        note: null,
        hasCheckpoint: false,
      });
    }
    return { runs: runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId)) };
  }

  async label(runId: string, label: RunLabel): Promise<RunLabel> {
    return writeRunLabel(await this.requireFolder(runId), label);
  }

  /**
   * Deletes a run that is not running: its folder under the runs folder (never a link, never outside
   * it), or, for a run that ended before making one, its entry here. False when there is no such run.
   */
  async delete(runId: string): Promise<CallResult<'runs.delete'>> {
    const run = this.runs.get(runId);
    if (run?.status === 'running') throw new WorkbenchError('BUSY', `The run ${runId} is running: cancel it before deleting it.`);
    const folder = this.folderOf(runId);
    const entry = await lstat(folder).catch(() => undefined);
    if (entry && !entry.isDirectory()) throw new WorkbenchError('BAD_INPUT', `${folder} is not a run folder (it is a link or a file); it was left alone.`);
    if (entry) {
      // Only a folder that is a run: a stray folder in the runs folder is not ours to delete.
      await openRunFolder(folder, this.runsRoot);
      await rm(folder, { recursive: true });
    }
    this.runs.delete(runId);
    return { deleted: entry !== undefined || run !== undefined };
  }

  /** The folder of a run by id: ours, or one under the runs folder (NOT_FOUND otherwise). */
  async requireFolder(runId: string): Promise<string> {
    const run = this.runs.get(runId);
    const folder = run?.folder ?? this.folderOf(runId);
    if (!(await stat(path.join(folder, 'config.json')).catch(() => undefined))) {
      throw new WorkbenchError('NOT_FOUND', `No run '${runId}' in ${this.runsRoot}${run ? ' has a folder yet (it is still scanning its data)' : ''}.`);
    }
    return folder;
  }

  private folderOf(runId: string): string {
    // Run ids are checked by the contract (no separators, no leading dot), so this stays in the root.
    return path.join(this.runsRoot, runId);
  }

  private async openRecord(folder: string, run: RegisteredRun | undefined): Promise<RunRecord | undefined> {
    try {
      return await openRunFolder(folder, this.runsRoot);
    } catch (error) {
      if (run && error instanceof WorkbenchError && error.code === 'NOT_FOUND') return undefined;
      if (error instanceof WorkbenchError && error.code === 'NOT_FOUND') {
        throw new WorkbenchError('NOT_FOUND', `No run '${path.basename(folder)}' in ${this.runsRoot}.`);
      }
      throw error;
    }
  }
}
