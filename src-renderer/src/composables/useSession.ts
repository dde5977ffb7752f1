/**
 * What the screens share in one window: the chosen data folders and their scan, the run being
 * watched and the screen on show. One reactive object per window (module state), so every view
 * reads and writes the same choices; the engine keeps everything else.
 */
import { reactive } from 'vue';
import type { ScanSummaryData } from '../../../src-main/common/contract';

export const VIEWS = ['data', 'train', 'run', 'export', 'try', 'history'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface Session {
  /** The train folder (absolute, on the engine's machine); null until chosen. */
  trainDir: string | null;
  /** The test folder; null = hold out a validation part of the train folder. */
  testDir: string | null;
  /** The scan of trainDir (and testDir) the user last saw. */
  scan: ScanSummaryData | null;
  /** The run shown on the Run, Export and Try-it screens. */
  runId: string | null;
  view: ViewName;
}

const session = reactive<Session>({ trainDir: null, testDir: null, scan: null, runId: null, view: 'data' });

export function useSession(): Session {
  return session;
}

/** Back to a fresh window's state (tests). */
export function resetSession(): void {
  Object.assign(session, { trainDir: null, testDir: null, scan: null, runId: null, view: 'data' } satisfies Session);
}
