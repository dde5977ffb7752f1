/**
 * The Export screen's logic: the chosen run (`runs.get`, again when it ends), whether it can be
 * exported, and `exportFormats()` — one `models.export` per chosen format, in sequence, each with
 * its own outcome, so one failure (a file already there) does not hide the others' results.
 */
import { getCurrentScope, onScopeDispose, readonly, ref, shallowRef, watch, type Ref, type ShallowRef, type WatchSource } from 'vue';
import { exportFormatSchema, type CallResult, type Unsubscribe, type WorkbenchApi } from '../../../src-main/common/contract';
import { defaultExportName, exportFileName, exportNameProblem } from '../../../src-main/common/exportNames';
import type { ErrorData } from '../../../src-main/common/errors';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';

export type ExportFormat = CallResult<'models.export'>['format'];
export type RunDetail = CallResult<'runs.get'>;

/** In the order the screen offers them. */
export const EXPORT_FORMATS: readonly ExportFormat[] = exportFormatSchema.options;

/** Who loads each format, one line each for the screen. */
export const FORMAT_AUDIENCE: Record<ExportFormat, { title: string; loadedBy: string }> = {
  tfjs: { title: 'TensorFlow.js', loadedBy: 'A folder (model.json and weights) for TensorFlow.js in a browser or Node.' },
  onnx: { title: 'ONNX', loadedBy: 'One .onnx file for ONNX Runtime (Python, C++, C#, Java, JavaScript) and other ONNX tools.' },
  pth: { title: 'PyTorch', loadedBy: 'A state dict for PyTorch: torchvision’s resnet with the run’s head, load_state_dict().' },
  safetensors: { title: 'safetensors', loadedBy: 'The same weights for the safetensors library (PyTorch, Hugging Face), without pickle.' },
};

export { defaultExportName, exportNameProblem };

/** Whether a path is written Windows-style (drive letter or UNC), so joins use its separator. */
function usesBackslashes(folder: string): boolean {
  return /^[A-Za-z]:\\/.test(folder) || folder.startsWith('\\\\');
}

/** `folder` + `name` with the folder's own separator (the engine may run on another system than the UI). */
export function joinEnginePath(folder: string, name: string): string {
  const separator = usesBackslashes(folder) ? '\\' : '/';
  // Trailing separators go; a root ('/' or 'C:\') gets its separator back from the join.
  return `${folder.replace(/[\\/]+$/, '')}${separator}${name}`;
}

/** Where one format is written: `<name>.onnx`, `.pth`, `.safetensors`, or the folder `<name>-tfjs`. */
export function exportOutPath(folder: string, baseName: string, format: ExportFormat): string {
  return joinEnginePath(folder, exportFileName(baseName, format));
}

export interface Exportability {
  /** Whether the Export button is offered. */
  allowed: boolean;
  /** What the user should know first; null when nothing needs saying. */
  note: string | null;
}

/**
 * A run can be exported once it has a checkpoint: finished runs, and failed or cancelled ones that
 * kept one. When the run's events do not say (no failure event recorded), the export is offered and
 * the engine's answer shows whether a checkpoint exists.
 */
export function exportability(run: Pick<RunDetail, 'status' | 'events'>): Exportability {
  if (run.status === 'finished') return { allowed: true, note: null };
  if (run.status === 'running') return { allowed: false, note: 'The run is still training; its model can be exported when it ends.' };
  const failure = [...run.events].reverse().find((record) => record.event === 'run.failed');
  const ended = run.status === 'cancelled' ? 'was cancelled' : run.status === 'failed' ? 'failed' : 'was interrupted';
  if (failure?.event === 'run.failed') {
    if (failure.payload.checkpoint !== null) return { allowed: true, note: `The run ${ended}; the export uses the last good checkpoint it kept.` };
    return { allowed: true, note: `The run ${ended} (${failure.payload.error.message}) and recorded no checkpoint; the export will say whether one exists.` };
  }
  return { allowed: true, note: `The run ${ended}; the export uses its last checkpoint, if it kept one.` };
}

export interface ExportRequest {
  runId: string;
  formats: readonly ExportFormat[];
  /** Absolute folder on the engine's machine; null for the engine's exports folder. */
  folder: string | null;
  baseName: string;
  /** Replace files already there. */
  force: boolean;
}

export interface ExportOutcome {
  format: ExportFormat;
  /** The path asked for. */
  out: string;
  state: 'waiting' | 'exporting' | 'done' | 'failed';
  /** Where the engine wrote the model and its card (when done). */
  path: string | null;
  card: string | null;
  /** Browser mode: the model (a zip for tfjs) and card as downloads from the engine's server. */
  downloads: readonly ExportDownload[];
  error: ErrorData | null;
}

export type ExportDownload = NonNullable<CallResult<'models.export'>['downloads']>[number];

export interface UseExport {
  /** The run as `runs.get` last described it; null while none is chosen or it could not be read. */
  run: Readonly<ShallowRef<RunDetail | null>>;
  loadingRun: Readonly<Ref<boolean>>;
  /** Why the run could not be read. */
  runError: Readonly<Ref<ApiError | null>>;
  /** One per format of the last export, in order. */
  outcomes: Readonly<ShallowRef<readonly ExportOutcome[]>>;
  exporting: Readonly<Ref<boolean>>;
  /** The model card of the last successful export (Markdown) and its format. */
  card: Readonly<ShallowRef<{ format: ExportFormat; path: string; text: string } | null>>;
  /** Why an export request was not sent at all (bad name, no folder, no format). */
  requestProblem: Readonly<Ref<string | null>>;
  exportFormats: (request: ExportRequest) => Promise<void>;
  reloadRun: () => Promise<void>;
}

/** Checks a request before anything is sent; a sentence for the user, or null. */
export function exportRequestProblem(request: ExportRequest): string | null {
  if (request.formats.length === 0) return 'Choose at least one format.';
  if (request.folder !== null && request.folder.trim() === '') return 'Choose the folder to save in, or save in the exports folder.';
  return exportNameProblem(request.baseName);
}

export function useExport(api: WorkbenchApi, runId: WatchSource<string | null>): UseExport {
  const run = shallowRef<RunDetail | null>(null);
  const loadingRun = ref(false);
  const runError = ref<ApiError | null>(null);
  const outcomes = shallowRef<readonly ExportOutcome[]>([]);
  const exporting = ref(false);
  const card = shallowRef<{ format: ExportFormat; path: string; text: string } | null>(null);
  const requestProblem = ref<string | null>(null);
  let currentId: string | null = null;
  let generation = 0;

  async function reloadRun(): Promise<void> {
    const mine = ++generation;
    const id = currentId;
    if (id === null) {
      run.value = null;
      runError.value = null;
      loadingRun.value = false;
      return;
    }
    loadingRun.value = true;
    try {
      const detail = unwrap(await api.runs.get({ runId: id }));
      if (mine !== generation) return;
      run.value = detail;
      runError.value = null;
    } catch (caught) {
      if (mine !== generation) return;
      run.value = null;
      runError.value = toApiError(caught);
    } finally {
      if (mine === generation) loadingRun.value = false;
    }
  }

  watch(
    runId,
    (id) => {
      if (id === currentId) return;
      currentId = id;
      // Results belong to the run they were made from.
      outcomes.value = [];
      card.value = null;
      requestProblem.value = null;
      void reloadRun();
    },
    { immediate: true },
  );

  // A running run becomes exportable when it ends.
  const reloadIfCurrent = (payload: { runId: string }) => {
    if (payload.runId === currentId) void reloadRun();
  };
  const unsubscribes: Unsubscribe[] = [api.on('run.finished', reloadIfCurrent), api.on('run.failed', reloadIfCurrent)];
  if (getCurrentScope()) onScopeDispose(() => unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe()));

  function update(index: number, change: Partial<ExportOutcome>): void {
    outcomes.value = outcomes.value.map((outcome, i) => (i === index ? { ...outcome, ...change } : outcome));
  }

  async function exportFormats(request: ExportRequest): Promise<void> {
    if (exporting.value) return;
    requestProblem.value = exportRequestProblem(request);
    if (requestProblem.value !== null) return;
    exporting.value = true;
    card.value = null;
    const folder = request.folder;
    outcomes.value = request.formats.map((format) => ({
      format,
      out: folder === null ? exportFileName(request.baseName, format) : exportOutPath(folder, request.baseName, format),
      state: 'waiting',
      path: null,
      card: null,
      downloads: [],
      error: null,
    }));
    try {
      // One at a time: each export loads the model, and the engine does one heavy thing at a time.
      for (const [index, outcome] of outcomes.value.entries()) {
        // Another run was chosen meanwhile: its screen starts clean, so stop here.
        if (currentId !== request.runId) return;
        update(index, { state: 'exporting' });
        try {
          // Without a folder the engine saves in its exports folder under the name.
          const where = folder === null ? { name: request.baseName } : { out: outcome.out };
          const result = unwrap(await api.models.export({ runId: request.runId, format: outcome.format, ...where, force: request.force }));
          if (currentId !== request.runId) return;
          update(index, { state: 'done', path: result.path, card: result.card, downloads: result.downloads ?? [] });
          card.value = { format: result.format, path: result.card, text: result.cardText };
        } catch (caught) {
          if (currentId !== request.runId) return;
          const error = toApiError(caught);
          update(index, { state: 'failed', error: { code: error.code, message: error.message } });
        }
      }
    } finally {
      exporting.value = false;
    }
  }

  return {
    run,
    loadingRun: readonly(loadingRun),
    runError: readonly(runError) as Readonly<Ref<ApiError | null>>,
    outcomes,
    exporting: readonly(exporting),
    card,
    requestProblem: readonly(requestProblem),
    exportFormats,
    reloadRun,
  };
}
