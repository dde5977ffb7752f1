/**
 * What an export is called: a short default (`resnet18-fashion-2026-12-02`), the rule a base name
 * must follow on every desktop system, and the file or folder name each format gets. Shared by the
 * Export screen (what it proposes and checks as the user types) and the engine (what it accepts).
 */

export type ExportFileFormat = 'tfjs' | 'onnx' | 'pth' | 'safetensors';

/** Characters no file name may hold on one of the three desktop systems (Windows is the strictest). */
const FORBIDDEN_NAME_CHARACTERS = /[<>:"/\\|?*\u0000-\u001f\u007f]/;

/** Longest base name accepted (the format's ending and `.md` still fit a 255-byte name). */
export const MAX_EXPORT_NAME_LENGTH = 200;

/** Why `name` cannot be an export's base name, as a sentence for the user; null when it can. */
export function exportNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'Give the export a file name.';
  if (trimmed !== name) return 'The file name cannot start or end with a space.';
  if (trimmed === '.' || trimmed === '..' || /^\.+$/.test(trimmed)) return `'${trimmed}' cannot be a file name.`;
  if (trimmed.endsWith('.')) return 'The file name cannot end with a dot.';
  if (FORBIDDEN_NAME_CHARACTERS.test(trimmed)) return 'The file name cannot contain / \\ : * ? " < > | or control characters; choose the folder separately.';
  if (trimmed.length > MAX_EXPORT_NAME_LENGTH) return `The file name is longer than ${MAX_EXPORT_NAME_LENGTH} characters.`;
  return null;
}

/** What one format is written as: `<name>.onnx`, `.pth`, `.safetensors`, or the folder `<name>-tfjs`. */
export function exportFileName(baseName: string, format: ExportFileFormat): string {
  return format === 'tfjs' ? `${baseName}-tfjs` : `${baseName}.${format}`;
}

/** Folder names that say "the training half of a split" rather than what the data is. */
const SPLIT_FOLDER_NAMES = new Set(['train', 'training', 'trn', 'test', 'testing', 'val', 'valid', 'validation', 'images', 'data']);

/**
 * A short, safe name part: lower case letters, digits and single hyphens (other characters, accents
 * included, become hyphens), at most `max` characters; '' when nothing usable is left.
 */
export function nameSlug(text: string, max = 40): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '');
}

/**
 * The data set's name as a person would say it: the train folder's own name, or its parent's when
 * the folder is only the train half of a split (`…/fashion/train` → `fashion`). Works on POSIX and
 * Windows paths alike (the engine may run on another system than the UI).
 */
export function datasetName(trainDir: string): string {
  const parts = trainDir.split(/[\\/]+/).filter((part) => part.length > 0 && !/^[A-Za-z]:$/.test(part));
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] ?? '';
    if (!SPLIT_FOLDER_NAMES.has(part.toLowerCase()) && nameSlug(part) !== '') return nameSlug(part);
  }
  return 'data';
}

/** `YYYY-MM-DD` of a run id made by the engine (`20261202-143005-resnet18-abc123`); null for any other id. */
export function runDate(runId: string): string | null {
  const match = /^(\d{4})(\d{2})(\d{2})-\d{6}/.exec(runId);
  if (!match) return null;
  const [, year, month, day] = match;
  return `${year}-${month}-${day}`;
}

function localDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * `resnet<depth>-<data set>-<YYYY-MM-DD>`: what an export is called unless the user says otherwise.
 * The date is the run's (the model's date, the same whenever it is exported); `today` stands in for
 * a run id that carries none.
 */
export function defaultExportName(run: { depth: number; trainDir: string; runId: string }, today: Date = new Date()): string {
  return `resnet${run.depth}-${datasetName(run.trainDir)}-${runDate(run.runId) ?? localDate(today)}`;
}

/** Why `name` cannot be a new folder's name (the same rule as an export's), as a sentence; null when it can. */
export function folderNameProblem(name: string): string | null {
  const problem = exportNameProblem(name);
  return problem === null ? null : problem.replace('Give the export a file name.', 'Give the folder a name.').replaceAll('file name', 'folder name');
}
