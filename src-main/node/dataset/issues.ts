/**
 * Why a file or folder of a data set was not used (an issue) or was used but deserves a look (a
 * warning). Reasons are stable kebab-case codes for programs; `detail` is a sentence for people.
 */

/** Why a file or folder could not be used. */
export type IssueReason =
  /** The content is not a recognised image format (a text file, `Thumbs.db`, random bytes). */
  | 'not-an-image'
  /** A recognised image format that this build cannot decode (BMP, PPM, HEIC, SVG, ...). */
  | 'unsupported-format'
  | 'zero-bytes'
  /** The image data ends early (an interrupted download or copy). */
  | 'truncated'
  /** The header or pixel data is damaged in a way other than truncation. */
  | 'corrupt'
  /** Width × height above the pixel limit, judged from the header before decoding. */
  | 'too-many-pixels'
  /** The file is larger than the byte limit. */
  | 'file-too-large'
  /** The file could not be read (permissions, I/O error). */
  | 'unreadable'
  /** A class folder without any usable image. */
  | 'empty-class'
  /** The root holds no class folder at all. */
  | 'no-classes'
  /** A file directly in the root, outside every class folder. */
  | 'outside-class-folder'
  /** A symbolic link whose target lies outside its class folder; not followed. */
  | 'symlink-escapes-class'
  /** A symbolic link that points back to a folder above it (or to itself); not followed. */
  | 'symlink-loop'
  /** A symbolic link to a folder of the class that is scanned anyway; not followed twice. */
  | 'symlink-duplicate'
  /** A symbolic link whose target does not exist. */
  | 'symlink-broken'
  /** Neither a file nor a folder (a socket, a device, a FIFO). */
  | 'not-a-regular-file';

/** Why a usable image deserves a look. */
export type WarningReason =
  /** The extension names another format than the content (decoded by content anyway). */
  'extension-mismatch';

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
