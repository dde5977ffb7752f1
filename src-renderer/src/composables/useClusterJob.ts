/**
 * Cluster jobs from the UI: `jobs.export` writes a folder that trains a run's (or the Train screen's)
 * settings with PyTorch on other machines; `jobs.import` brings a finished one back as a run. One
 * request at a time per panel; the last answer or error is kept for the panel to show.
 */
import { readonly, ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { CallParams, CallResult, WorkbenchApi } from '../../../src-main/common/contract';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';

export type JobSource = Pick<CallParams<'jobs.export'>, 'runId' | 'config'>;

export interface UseClusterJob {
  busy: Readonly<Ref<boolean>>;
  error: Readonly<Ref<ApiError | null>>;
  exported: Readonly<ShallowRef<CallResult<'jobs.export'> | null>>;
  imported: Readonly<ShallowRef<CallResult<'jobs.import'> | null>>;
  exportJob: (source: JobSource, out: string, force: boolean) => Promise<void>;
  importJob: (folder: string) => Promise<CallResult<'jobs.import'> | null>;
}

/** `defaultJobName('resnet18', 'run 1')` → `job-resnet18-run-1`: the default name of a job folder. */
export function defaultJobName(...parts: readonly string[]): string {
  return ['job', ...parts].join('-').replace(/[^A-Za-z0-9._-]+/g, '-');
}

export function useClusterJob(api: WorkbenchApi): UseClusterJob {
  const busy = ref(false);
  const error = ref<ApiError | null>(null);
  const exported = shallowRef<CallResult<'jobs.export'> | null>(null);
  const imported = shallowRef<CallResult<'jobs.import'> | null>(null);

  async function request<T>(send: () => Promise<T>): Promise<T | null> {
    busy.value = true;
    error.value = null;
    try {
      return await send();
    } catch (caught) {
      error.value = toApiError(caught);
      return null;
    } finally {
      busy.value = false;
    }
  }

  return {
    busy: readonly(busy),
    error: readonly(error) as Readonly<Ref<ApiError | null>>,
    exported,
    imported,
    exportJob: async (source, out, force) => {
      exported.value = null;
      exported.value = await request(async () => unwrap(await api.jobs.export({ ...source, out, force })));
    },
    importJob: async (folder) => {
      imported.value = null;
      imported.value = await request(async () => unwrap(await api.jobs.import({ folder })));
      return imported.value;
    },
  };
}
