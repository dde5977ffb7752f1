/**
 * The model catalog and the weights folder: which depths exist, which ImageNet checkpoints are
 * present, and the two ways to get one: a download (progress from weights.progress events) or an
 * import of a local file (for machines without internet). The subscription ends with the calling
 * scope (or `stop()`).
 */
import { getCurrentScope, onScopeDispose, readonly, ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type {
  CallResult,
  EventPayload,
  ImportedWeightsEntry,
  ModelInfo,
  PretrainedWeightsEntry,
  WeightsImportResultData,
  WorkbenchApi,
} from '../../../src-main/common/contract';
import type { ResNetDepth } from '../../../src-main/common/resnetSpec';
import type { RunConfig } from '../../../src-main/common/runConfig';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';

export type WeightsVariant = RunConfig['weightsVariant'];
export type WeightsProgress = EventPayload<'weights.progress'>;
export type WeightsReachability = CallResult<'weights.reachable'>;

export interface UseWeights {
  models: Readonly<ShallowRef<readonly ModelInfo[]>>;
  pretrained: Readonly<ShallowRef<readonly PretrainedWeightsEntry[]>>;
  imported: Readonly<ShallowRef<readonly ImportedWeightsEntry[]>>;
  /** The last failed catalog or list call. */
  error: Readonly<Ref<ApiError | null>>;
  /** The checkpoint being downloaded; null when none is. */
  downloading: Readonly<Ref<{ depth: ResNetDepth; variant: WeightsVariant } | null>>;
  /** The latest progress of the download in flight. */
  progress: Readonly<ShallowRef<WeightsProgress | null>>;
  /** Why the last download failed, and of which checkpoint. */
  downloadError: Readonly<Ref<(ApiError & { depth: ResNetDepth; variant: WeightsVariant }) | null>>;
  importing: Readonly<Ref<boolean>>;
  importError: Readonly<Ref<ApiError | null>>;
  lastImport: Readonly<ShallowRef<WeightsImportResultData | null>>;
  /** Whether the ImageNet checkpoint of this depth and variant is in the weights folder. */
  isPresent: (depth: ResNetDepth, variant: WeightsVariant) => boolean;
  /**
   * Whether a missing checkpoint could be downloaded now: undefined until asked (or while asking), then
   * the engine's answer, kept until `checkReachable` asks again.
   */
  reachability: (depth: ResNetDepth, variant: WeightsVariant) => WeightsReachability | undefined;
  /** The ImageNet checkpoint is not here and the engine answered that it cannot be downloaded. */
  cannotGet: (depth: ResNetDepth, variant: WeightsVariant) => boolean;
  /** Asks the engine (a HEAD request to the server); a failed call counts as unreachable, with its message. */
  checkReachable: (depth: ResNetDepth, variant: WeightsVariant) => Promise<WeightsReachability>;
  refresh: () => Promise<void>;
  /** True when the checkpoint is in the weights folder afterwards. */
  download: (depth: ResNetDepth, variant: WeightsVariant) => Promise<boolean>;
  /** The stored checkpoint, or null when the import failed (importError says why). */
  importFile: (file: string, depth?: ResNetDepth) => Promise<WeightsImportResultData | null>;
  stop: () => void;
}

export function useWeights(api: WorkbenchApi): UseWeights {
  const models = shallowRef<readonly ModelInfo[]>([]);
  const pretrained = shallowRef<readonly PretrainedWeightsEntry[]>([]);
  const imported = shallowRef<readonly ImportedWeightsEntry[]>([]);
  const error = ref<ApiError | null>(null);
  const downloading = ref<{ depth: ResNetDepth; variant: WeightsVariant } | null>(null);
  const progress = shallowRef<WeightsProgress | null>(null);
  const downloadError = ref<(ApiError & { depth: ResNetDepth; variant: WeightsVariant }) | null>(null);
  const reachable = shallowRef<ReadonlyMap<string, WeightsReachability>>(new Map());
  const importing = ref(false);
  const importError = ref<ApiError | null>(null);
  const lastImport = shallowRef<WeightsImportResultData | null>(null);

  async function refresh(): Promise<void> {
    // Each on its own: a failed list still shows the catalog.
    const [catalog, list] = await Promise.allSettled([api.models.catalog().then(unwrap), api.weights.list().then(unwrap)]);
    let failure: ApiError | null = null;
    if (catalog.status === 'fulfilled') models.value = catalog.value.models;
    else failure = toApiError(catalog.reason);
    if (list.status === 'fulfilled') {
      pretrained.value = list.value.pretrained;
      imported.value = list.value.imported;
    } else failure ??= toApiError(list.reason);
    error.value = failure;
  }

  function isPresent(depth: ResNetDepth, variant: WeightsVariant): boolean {
    return pretrained.value.some((entry) => entry.depth === depth && entry.variant === variant && entry.present);
  }

  const reachabilityKey = (depth: ResNetDepth, variant: WeightsVariant): string => `${depth}/${variant}`;

  function reachability(depth: ResNetDepth, variant: WeightsVariant): WeightsReachability | undefined {
    return reachable.value.get(reachabilityKey(depth, variant));
  }

  function cannotGet(depth: ResNetDepth, variant: WeightsVariant): boolean {
    return pretrained.value.length > 0 && !isPresent(depth, variant) && reachability(depth, variant)?.reachable === false;
  }

  async function checkReachable(depth: ResNetDepth, variant: WeightsVariant): Promise<WeightsReachability> {
    let answer: WeightsReachability;
    try {
      answer = unwrap(await api.weights.reachable({ depth, variant }));
    } catch (caught) {
      answer = { reachable: false, host: '', reason: toApiError(caught).message };
    }
    reachable.value = new Map(reachable.value).set(reachabilityKey(depth, variant), answer);
    return answer;
  }

  const unsubscribe = api.on('weights.progress', (payload) => {
    const current = downloading.value;
    if (current && payload.depth === current.depth && payload.variant === current.variant) progress.value = payload;
  });
  if (getCurrentScope()) onScopeDispose(unsubscribe);

  async function download(depth: ResNetDepth, variant: WeightsVariant): Promise<boolean> {
    downloading.value = { depth, variant };
    progress.value = null;
    downloadError.value = null;
    try {
      unwrap(await api.weights.download({ depth, variant }));
      await refresh();
      return true;
    } catch (caught) {
      downloadError.value = { ...toApiError(caught), depth, variant };
      // A failed download is the freshest answer to "can it be downloaded".
      if (downloadError.value.code === 'OFFLINE') void checkReachable(depth, variant);
      return false;
    } finally {
      downloading.value = null;
    }
  }

  async function importFile(file: string, depth?: ResNetDepth): Promise<WeightsImportResultData | null> {
    importing.value = true;
    importError.value = null;
    try {
      const result = unwrap(await api.weights.import(depth === undefined ? { file } : { file, depth }));
      lastImport.value = result;
      await refresh();
      return result;
    } catch (caught) {
      importError.value = toApiError(caught);
      return null;
    } finally {
      importing.value = false;
    }
  }

  void refresh();

  const readonlyError = <T>(r: Ref<T>) => readonly(r) as Readonly<Ref<T>>;
  return {
    models,
    pretrained,
    imported,
    error: readonlyError(error),
    downloading: readonlyError(downloading),
    progress,
    downloadError: readonlyError(downloadError),
    importing: readonly(importing),
    importError: readonlyError(importError),
    lastImport,
    isPresent,
    reachability,
    cannotGet,
    checkReachable,
    refresh,
    download,
    importFile,
    stop: unsubscribe,
  };
}
