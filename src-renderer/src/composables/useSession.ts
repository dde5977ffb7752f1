/**
 * What the screens share in one window: the chosen data folders and their scan, the run being
 * watched and the screen on show. One reactive object per window (module state), so every view
 * reads and writes the same choices; the engine keeps everything else.
 *
 * The choices are kept in the tab's sessionStorage, so a reload — or a browser tab reconnecting —
 * comes back to the same run and screen; the scan and the training form are remembered per data
 * folder (folderMemory.ts).
 */
import { reactive, watch } from 'vue';
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

const STORAGE_KEY = 'resnet-workbench:session';

function fresh(): Session {
  return { trainDir: null, testDir: null, scan: null, runId: null, view: 'data' };
}

function storage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    // Storage can be refused (privacy settings); the window then simply starts fresh on reload.
    return undefined;
  }
}

/** The stored choices, each kept only when it has the right type (the storage is the user's to edit). */
function restored(): Session {
  const session = fresh();
  let stored: unknown;
  try {
    stored = JSON.parse(storage()?.getItem(STORAGE_KEY) ?? 'null');
  } catch {
    return session;
  }
  if (typeof stored !== 'object' || stored === null) return session;
  const values = stored as Record<string, unknown>;
  for (const key of ['trainDir', 'testDir', 'runId'] as const) {
    if (typeof values[key] === 'string') session[key] = values[key];
  }
  if (VIEWS.includes(values.view as ViewName)) session.view = values.view as ViewName;
  return session;
}

const session = reactive<Session>(restored());

watch(
  () => ({ trainDir: session.trainDir, testDir: session.testDir, runId: session.runId, view: session.view }),
  (choices) => {
    try {
      storage()?.setItem(STORAGE_KEY, JSON.stringify(choices));
    } catch {
      // A full or refused storage only costs the restore on reload.
    }
  },
  { flush: 'sync' },
);

export function useSession(): Session {
  return session;
}

/** Shows a run on the Run screen. */
export function openRun(runId: string): void {
  session.runId = runId;
  session.view = 'run';
}

const STARTED_HERE_KEY = 'resnet-workbench:started-here';

function startedHereList(): string[] {
  try {
    const stored: unknown = JSON.parse(storage()?.getItem(STARTED_HERE_KEY) ?? '[]');
    return Array.isArray(stored) ? stored.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/** Remembers that this window (tab) started the run, so a Cancel elsewhere can say it was not. */
export function markStartedHere(runId: string): void {
  try {
    storage()?.setItem(STARTED_HERE_KEY, JSON.stringify([...startedHereList().slice(-49), runId]));
  } catch {
    // Without storage the question is asked as for a run started elsewhere.
  }
}

export function wasStartedHere(runId: string): boolean {
  return startedHereList().includes(runId);
}

/** Back to a fresh window's state (tests). */
export function resetSession(): void {
  Object.assign(session, fresh());
  storage()?.removeItem(STORAGE_KEY);
  storage()?.removeItem(STARTED_HERE_KEY);
}

/** The choices as a reloaded window would restore them (tests). */
export function restoredSession(): Session {
  return restored();
}
