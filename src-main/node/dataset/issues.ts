/**
 * Why a file or folder of a data set was not used (an issue) or was used but deserves a look (a
 * warning). Reasons are stable kebab-case codes for programs; `detail` is a sentence for people.
 */

import type { IssueReason, WarningReason } from '../../common/datasetReasons';

export type { IssueReason, WarningReason } from '../../common/datasetReasons';

export interface DatasetIssue {
  /** Absolute path of the file or folder. */
  path: string;
  reason: IssueReason;
  /** What was found, for people. */
  detail: string;
}

export interface DatasetWarning {
  path: string;
  reason: WarningReason;
  detail: string;
}

/** The message of a failed file-system call, without Node's `CODE:` prefix noise. */
export function describeFsError(error: unknown): string {
  const err = error as NodeJS.ErrnoException | undefined;
  const code = err?.code;
  const friendly: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EIO: 'input/output error',
    ENOENT: 'no such file or folder',
    ELOOP: 'too many levels of symbolic links',
    EISDIR: 'is a folder',
    ENOTDIR: 'not a folder',
  };
  if (code && friendly[code]) return `${friendly[code]} (${code})`;
  return err instanceof Error ? err.message : String(error);
}
