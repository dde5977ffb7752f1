/**
 * What a window remembers per data folder across reloads (localStorage): the training form last
 * used with a train folder, and the last scan of a train (and test) folder pair. Choosing a folder
 * again brings both back; a form set up for one data set does not leak into another that has its own.
 *
 * Only values the current form and contract accept are restored: the storage is the user's to edit
 * and another version of the app may have written it.
 */
import { watch, type WatchStopHandle } from 'vue';
import { scanSummarySchema, type ScanSummaryData } from '../../../src-main/common/contract';
import { runConfigSchema } from '../../../src-main/common/runConfig';
import { defaultTrainForm, type TrainFormState } from '../support/trainForm';
import { useSession } from './useSession';
import { useTrainForm } from './useTrainForm';

const FORM_PREFIX = 'resnet-workbench:form:';
const SCAN_PREFIX = 'resnet-workbench:scan:';
/** Newest last: the folder pairs whose scans are kept. */
const SCAN_INDEX = 'resnet-workbench:scans';
const MAX_SCANS = 8;
/** A scan of a huge, messy folder can list thousands of issues; it is not worth the storage. */
const MAX_SCAN_CHARS = 1_000_000;
const MAX_TEXT_FIELD = 200;

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

function readJson(key: string): unknown {
  try {
    return JSON.parse(storage()?.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

/** Best effort: a full or refused storage only costs the memory. */
function write(key: string, value: unknown): boolean {
  try {
    storage()?.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

const DEFAULTS = defaultTrainForm();

/** The stored fields that fit the form: numbers typed (text or number) and values the run config accepts. */
export function formFromStorage(stored: unknown): Partial<TrainFormState> {
  if (typeof stored !== 'object' || stored === null) return {};
  const values = stored as Record<string, unknown>;
  const restored: Record<string, unknown> = {};
  const shape = runConfigSchema.shape as Record<string, { safeParse: (value: unknown) => { success: boolean } } | undefined>;
  for (const key of Object.keys(DEFAULTS) as (keyof TrainFormState)[]) {
    const value = values[key];
    if (value === undefined || value === null) continue;
    const fallback = DEFAULTS[key];
    // A number field may hold text being typed (the form says what is wrong with it); anything else must be valid.
    const typedText = (typeof fallback === 'number' || fallback === '') && key !== 'depth' && typeof value === 'string' && value.length <= MAX_TEXT_FIELD;
    if (typedText || shape[key]?.safeParse(value).success) restored[key] = value;
  }
  return restored as Partial<TrainFormState>;
}

function scanKey(train: string, test: string | null): string {
  return `${SCAN_PREFIX}${JSON.stringify([train, test])}`;
}

export function rememberScan(train: string, test: string | null, scan: ScanSummaryData): void {
  const key = scanKey(train, test);
  const text = JSON.stringify(scan);
  if (text.length > MAX_SCAN_CHARS) return;
  const index = readJson(SCAN_INDEX);
  const keys = (Array.isArray(index) ? index.filter((k): k is string => typeof k === 'string' && k !== key) : []).concat(key);
  for (const old of keys.splice(0, Math.max(0, keys.length - MAX_SCANS))) storage()?.removeItem(old);
  try {
    storage()?.setItem(key, text);
  } catch {
    return;
  }
  write(SCAN_INDEX, keys);
}

export function recalledScan(train: string, test: string | null): ScanSummaryData | null {
  const parsed = scanSummarySchema.safeParse(readJson(scanKey(train, test)));
  return parsed.success ? parsed.data : null;
}

let stopHandles: WatchStopHandle[] = [];

/**
 * Starts remembering (once per window, at start-up): the form follows the train folder, the scan
 * follows the folder pair; a folder chosen without a memory keeps the form as it is.
 */
export function rememberPerFolder(): void {
  forgetPerFolder();
  const session = useSession();
  const form = useTrainForm();
  const restoreFor = (train: string | null, test: string | null): void => {
    if (train !== null) Object.assign(form, formFromStorage(readJson(FORM_PREFIX + train)));
    // The report shown is always the chosen folders' own: their last scan, or none until scanned.
    session.scan = train === null ? null : recalledScan(train, test);
  };
  if (session.scan === null) restoreFor(session.trainDir, session.testDir);
  stopHandles = [
    watch(
      () => [session.trainDir, session.testDir] as const,
      ([train, test]) => restoreFor(train, test),
      { flush: 'sync' },
    ),
    watch(
      () => ({ ...form }),
      (values) => {
        if (session.trainDir !== null) write(FORM_PREFIX + session.trainDir, values);
      },
      { deep: true },
    ),
    watch(
      () => session.scan,
      (scan) => {
        if (scan !== null && session.trainDir !== null) rememberScan(session.trainDir, session.testDir, scan);
      },
    ),
  ];
}

/** Stops remembering (tests). */
export function forgetPerFolder(): void {
  for (const stop of stopHandles.splice(0)) stop();
}
