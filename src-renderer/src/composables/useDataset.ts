/**
 * Scanning the chosen data folders: `scan(train, test)` asks the engine for the health report and
 * keeps it, with the folders, in the window's session so the other screens see the same choice.
 */
import { readonly, ref, shallowRef, type Ref } from 'vue';
import type { ScanSummaryData, WorkbenchApi } from '../../../src-main/common/contract';
import { unwrap, type ApiError } from '../api/workbench';
import { toApiError } from './useRun';
import { useSession } from './useSession';

export interface UseDataset {
  /** True while a scan is in flight. */
  scanning: Readonly<Ref<boolean>>;
  /** The last failed scan; cleared by the next scan. */
  error: Readonly<Ref<ApiError | null>>;
  /** The folders of the last successful scan (the session's choice may have moved on since), and its report. */
  scanned: Readonly<Ref<{ train: string; test: string | null; report: ScanSummaryData } | null>>;
  /** The report, or null when the scan failed (the error says why). */
  scan: (train: string, test: string | null) => Promise<ScanSummaryData | null>;
}

export function useDataset(api: WorkbenchApi): UseDataset {
  const session = useSession();
  const scanning = ref(false);
  const error = ref<ApiError | null>(null);
  const scanned = shallowRef<{ train: string; test: string | null; report: ScanSummaryData } | null>(null);
  let generation = 0;

  async function scan(train: string, test: string | null): Promise<ScanSummaryData | null> {
    const mine = ++generation;
    scanning.value = true;
    error.value = null;
    try {
      const summary = unwrap(await api.dataset.scan(test ? { train, test } : { train }));
      // A slower reply to an earlier scan must not replace a newer one's.
      if (mine !== generation) return null;
      session.trainDir = train;
      session.testDir = test;
      session.scan = summary;
      scanned.value = { train, test, report: summary };
      return summary;
    } catch (caught) {
      if (mine === generation) {
        error.value = toApiError(caught);
        session.scan = null;
      }
      return null;
    } finally {
      if (mine === generation) scanning.value = false;
    }
  }

  return { scanning: readonly(scanning), error: readonly(error) as Readonly<Ref<ApiError | null>>, scanned, scan };
}
