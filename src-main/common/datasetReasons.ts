/**
 * Why a file or folder of a data set was not used (an issue) or deserves a look (a warning): the
 * stable codes programs read (`scan --json`, the contract), and what each means for a person, said
 * once for the UI and the CLI's human output alike.
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

export interface ReasonText {
  /** A heading in plain words: what is wrong with these files. */
  title: string;
  /** What to do about it. */
  action: string;
}

/** Issues: the files are left out of training and evaluation; the run goes on without them. */
export const ISSUE_TEXT: Readonly<Record<IssueReason, ReasonText>> = {
  'not-an-image': { title: 'Not images', action: 'Left out. Move them out of the class folders if they do not belong there (notes, Thumbs.db and the like).' },
  'unsupported-format': { title: 'Image formats that cannot be read', action: 'Left out. Convert them to JPEG, PNG or WebP to use them.' },
  'zero-bytes': { title: 'Empty files (0 bytes)', action: 'Left out. Copy them again from where they came from.' },
  truncated: { title: 'Cut-off images (the file ends early)', action: 'Left out. They were probably copied or downloaded only in part: copy them again.' },
  corrupt: { title: 'Damaged images', action: 'Left out. Open one to check; replace them with good copies to use them.' },
  'too-many-pixels': { title: 'Images too large to decode', action: 'Left out. Resize them below the pixel limit to use them.' },
  'file-too-large': { title: 'Files too large to read', action: 'Left out. Resize or re-encode them to use them.' },
  unreadable: { title: 'Files that cannot be read', action: 'Left out. Check their permissions, or that the disk is still there.' },
  'empty-class': { title: 'Class folders without a usable image', action: 'A run refuses them: add images, or remove the folders.' },
  'no-classes': { title: 'No class folders', action: 'Put the images in one subfolder per class (train/cat, train/dog, …).' },
  'outside-class-folder': { title: 'Files outside every class folder', action: 'Left out: a file directly in the train folder has no class. Move it into its class folder.' },
  'symlink-escapes-class': { title: 'Links that point outside their class folder', action: 'Not followed. Copy the images into the class folder instead.' },
  'symlink-loop': { title: 'Links that point back to themselves', action: 'Not followed. Remove the links.' },
  'symlink-duplicate': { title: 'Links to images already in the class folder', action: 'Not followed twice: nothing to do.' },
  'symlink-broken': { title: 'Links that point to nothing', action: 'Left out. Remove the links, or restore what they pointed to.' },
  'not-a-regular-file': { title: 'Neither files nor folders (devices, pipes, sockets)', action: 'Left out: only regular files are read.' },
};

/** Warnings: the files are used. */
export const WARNING_TEXT: Readonly<Record<WarningReason, ReasonText>> = {
  'extension-mismatch': { title: 'Images whose extension names another format', action: 'Used, read by their content. Rename them if other tools trip on them.' },
};

/** The text of a reason code as the engine sends it; an unknown code (a newer engine) is shown as it is. */
export function reasonText(reason: string): ReasonText {
  const known = (ISSUE_TEXT as Record<string, ReasonText>)[reason] ?? (WARNING_TEXT as Record<string, ReasonText>)[reason];
  return known ?? { title: reason, action: '' };
}
