/**
 * What the run actually used: which expected images never reached training or evaluation (and why),
 * and a fingerprint of the files a run's cached features were computed from, so a resumed run can
 * tell that its folders changed.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { SkippedFile } from '../../common/runEvents';
import type { LabeledImage } from '../dataset/batchLoader';
import { verifyImageBytes } from '../dataset/decode';
import { describeFsError } from '../dataset/issues';

/**
 * Why a file the loaders left out could not be used: read and verified again (only the few files
 * that were skipped, so the common case costs nothing).
 */
export async function explainSkipped(paths: readonly string[], folder: SkippedFile['folder']): Promise<SkippedFile[]> {
  const explained: SkippedFile[] = [];
  for (const path of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      explained.push({ path, reason: 'unreadable', detail: describeFsError(error), folder });
      continue;
    }
    const checked = await verifyImageBytes(bytes);
    explained.push(
      checked.ok
        ? { path, reason: 'corrupt', detail: 'could not be decoded when the run loaded it (it verifies now: it may have changed during the run)', folder }
        : { path, reason: checked.problem.reason, detail: checked.problem.detail, folder },
    );
  }
  return explained;
}

/** Expected images whose paths are missing from what a loader produced, in the expected order, once each. */
export function missingPaths(expected: readonly LabeledImage[], produced: Iterable<string>): string[] {
  const seen = new Set(produced);
  return [...new Set(expected.map((i) => i.path))].filter((p) => !seen.has(p));
}

/**
 * SHA-256 over each image's split, path, class, size and modification time. Stat-based rather than
 * content hashes: cheap enough to run at every resume, and a replaced or edited file changes its
 * size or mtime. A file that cannot be stat'ed counts as changed.
 */
export async function fingerprintImages(splits: Readonly<Record<string, readonly LabeledImage[]>>): Promise<string> {
  const hash = createHash('sha256');
  for (const name of Object.keys(splits).sort()) {
    for (const image of splits[name] ?? []) {
      const info = await stat(image.path).catch(() => undefined);
      hash.update(JSON.stringify([name, image.path, image.label, info?.size ?? -1, info?.mtimeMs ?? -1]));
      hash.update('\n');
    }
  }
  return hash.digest('hex');
}
