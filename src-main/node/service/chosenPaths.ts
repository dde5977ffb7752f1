/**
 * The desktop app's path policy: the engine touches only what the user chose in a native dialog (a
 * file, or anything under a folder), and the app's own data folder. A compromised page can name any
 * path through `window.workbench`, but it cannot open a native dialog and pick for the user, so a
 * path it makes up is refused — no browsing /etc, no thumbnails of arbitrary images, no export over an
 * unrelated file. Choices are kept (by real path) in the data folder, so folders chosen in an earlier
 * session stay usable (a run's images, its test folder) until they fall off the end of the list.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { WorkbenchError } from '../../common/errors';
import { writeFileAtomic } from '../io/atomicWrite';
import { isInside } from '../io/pathInside';
import { realPathOf } from '../io/realPath';
import type { PathPolicy } from './pathPolicy';

/** Choices remembered; the oldest are forgotten first. */
export const MAX_CHOSEN_PATHS = 200;

const storedSchema = z.strictObject({ version: z.literal(1), paths: z.array(z.string().min(1)).max(MAX_CHOSEN_PATHS) });

export class ChosenPaths {
  private paths: string[] = [];
  private loaded: Promise<void> | undefined;

  /**
   * @param dataFolder the app's own folder (runs, weights): always allowed.
   * @param file where the choices are kept; default `<dataFolder>/chosen-paths.json`.
   */
  constructor(
    private readonly dataFolder: string,
    private readonly file = path.join(dataFolder, 'chosen-paths.json'),
  ) {}

  private load(): Promise<void> {
    this.loaded ??= readFile(this.file, 'utf8')
      .then((text) => {
        const parsed = storedSchema.safeParse(JSON.parse(text));
        if (parsed.success) this.paths = parsed.data.paths.filter((p) => path.isAbsolute(p));
      })
      .catch(() => undefined);
    return this.loaded;
  }

  /** Records what the user picked in a native dialog (resolved through links) and keeps it. */
  async add(chosen: readonly string[]): Promise<void> {
    await this.load();
    for (const raw of chosen) {
      const real = await realpath(path.resolve(raw)).catch(() => undefined);
      if (real === undefined) continue;
      this.paths = [...this.paths.filter((p) => p !== real), real].slice(-MAX_CHOSEN_PATHS);
    }
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, paths: this.paths }, null, 2)}\n`).catch(() => undefined);
  }

  /** The chosen folders and files, most recent last. */
  async list(): Promise<string[]> {
    await this.load();
    return [...this.paths];
  }

  /** The service's PathPolicy: inside the data folder or a choice, after resolving links; else BAD_INPUT. */
  policy(): PathPolicy {
    return async (absolutePath) => {
      await this.load();
      const real = await realPathOf(absolutePath);
      const data = await realPathOf(this.dataFolder);
      if (isInside(data, real) || this.paths.some((chosen) => isInside(chosen, real))) return;
      const shown = real === absolutePath ? `'${absolutePath}'` : `'${absolutePath}' (which leads to '${real}')`;
      throw new WorkbenchError(
        'BAD_INPUT',
        `${shown} was not chosen in a dialog: the app reads and writes only files and folders you picked (and anything inside those folders) and its own data folder. Choose it with Browse… first.`,
      );
    };
  }
}
