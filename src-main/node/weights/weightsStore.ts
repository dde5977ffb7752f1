/**
 * The weights folder (`<app data>/weights`): torchvision's checkpoints under their canonical file
 * names (`resnet18-f37072fd.pth`), downloaded on first use or imported from a local file, and other
 * imported checkpoints under `imported/`, each named with its hash prefix and described by a JSON
 * sidecar. Every file here was checked when it arrived, so presence alone means "ready to load".
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkbenchError } from '../../common/errors';
import type { ResNetDepth } from '../../common/resnetSpec';
import { weightsFolder } from '../appPaths';
import { writeFileAtomic } from '../io/atomicWrite';
import { DEFAULT_WEIGHTS_VARIANT, PRETRAINED_WEIGHTS, TORCHVISION_WEIGHTS_BASE_URL, type PretrainedWeights, type WeightsVariant } from './catalog';
import { readRegularFile } from '../io/regularFile';
import { MAX_CHECKPOINT_FILE_BYTES, parseCheckpointBytes, type CheckpointFormat } from './checkpointFile';
import { downloadFile, probeDownload, type DownloadProbe, type DownloadProgress, type DownloadResult } from './download';
import { describeCheckpoint } from './torchvisionWeights';

/** Overrides where checkpoints are downloaded from (a mirror, or a local test server). */
export const WEIGHTS_URL_ENV = 'RESNET_WORKBENCH_WEIGHTS_URL';

/** A folder of checkpoints shipped with the app, looked at before the network (default: see bundledWeightsFolder). */
export const BUNDLED_WEIGHTS_ENV = 'RESNET_WORKBENCH_BUNDLED_WEIGHTS';

/**
 * The checkpoints the installer ships (the release workflow fetches torchvision's ResNet-18 and checks
 * its SHA-256 at packaging time: build/fetchBundledWeights.ts): `$RESNET_WORKBENCH_BUNDLED_WEIGHTS`,
 * else `<resources>/weights` in the desktop app (Electron's `process.resourcesPath`, also set in its
 * utility processes), else none. Read-only: nothing is ever written there.
 */
export function bundledWeightsFolder(
  env: Readonly<Record<string, string | undefined>> = process.env,
  resourcesPath: string | undefined = (process as { resourcesPath?: string }).resourcesPath,
): string | undefined {
  if (env[BUNDLED_WEIGHTS_ENV]) return path.resolve(env[BUNDLED_WEIGHTS_ENV]);
  return resourcesPath ? path.join(resourcesPath, 'weights') : undefined;
}

const IMPORTED_FOLDER = 'imported';
const KNOWN_EXTENSIONS = new Set(['.pth', '.pt', '.safetensors', '.bin', '.ckpt']);
const SIDECAR_SUFFIX = '.json';

export interface WeightsStoreOptions {
  /** Folder holding the checkpoints; default `weightsFolder()`, i.e. `<app data>/weights`. */
  folder?: string;
  /** The checkpoints known; default torchvision's (`PRETRAINED_WEIGHTS`). Tests pass their own. */
  catalog?: readonly PretrainedWeights[];
  /** Checkpoints shipped with the app, looked at after `folder`; default `bundledWeightsFolder()`, `null` for none. */
  bundledFolder?: string | null;
}

export interface CachedPretrainedWeights extends PretrainedWeights {
  /** Whether the checkpoint is in the weights folder or shipped with the app. */
  present: boolean;
  /** Shipped with the app (in the bundled folder, not the weights folder). */
  bundled: boolean;
  /** Where it is, or will be once downloaded. */
  path: string;
  /** Size on disk when present. */
  bytes: number | undefined;
}

/** What the JSON sidecar of an imported checkpoint holds. */
export interface ImportedWeights {
  /** The stored copy. */
  path: string;
  fileName: string;
  /** Absolute path of the file it was imported from. */
  source: string;
  depth: ResNetDepth;
  numClasses: number;
  /** Full SHA-256, lowercase hex. */
  sha256: string;
  bytes: number;
  /** ISO 8601 time of the import. */
  importedAt: string;
}

function folderOf(options: WeightsStoreOptions): string {
  return options.folder ?? weightsFolder();
}

function catalogOf(options: WeightsStoreOptions): readonly PretrainedWeights[] {
  return options.catalog ?? PRETRAINED_WEIGHTS;
}

/** Where a catalog checkpoint lives in the weights folder. */
export function pretrainedWeightsPath(weights: PretrainedWeights, options: WeightsStoreOptions = {}): string {
  return path.join(folderOf(options), weights.fileName);
}

/** The download base URL: the option, else $RESNET_WORKBENCH_WEIGHTS_URL, else torchvision's server. */
export function weightsBaseUrl(baseUrl?: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  return (baseUrl || env[WEIGHTS_URL_ENV] || TORCHVISION_WEIGHTS_BASE_URL).replace(/\/+$/, '');
}

async function sizeOfFile(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/** Where a catalog checkpoint is: the weights folder first, then the app's bundled folder; undefined when in neither. */
async function locatePretrainedWeights(weights: PretrainedWeights, options: WeightsStoreOptions): Promise<{ path: string; bytes: number; bundled: boolean } | undefined> {
  const own = pretrainedWeightsPath(weights, options);
  const ownBytes = await sizeOfFile(own);
  if (ownBytes !== undefined) return { path: own, bytes: ownBytes, bundled: false };
  const bundledFolder = options.bundledFolder === undefined ? bundledWeightsFolder() : options.bundledFolder;
  if (!bundledFolder) return undefined;
  const bundled = path.join(bundledFolder, weights.fileName);
  const bundledBytes = await sizeOfFile(bundled);
  return bundledBytes === undefined ? undefined : { path: bundled, bytes: bundledBytes, bundled: true };
}

/** Every catalog checkpoint, with whether it is in the weights folder or shipped with the app. */
export async function listWeights(options: WeightsStoreOptions = {}): Promise<CachedPretrainedWeights[]> {
  return Promise.all(
    catalogOf(options).map(async (weights) => {
      const found = await locatePretrainedWeights(weights, options);
      if (found) return { ...weights, present: true, bundled: found.bundled, path: found.path, bytes: found.bytes };
      return { ...weights, present: false, bundled: false, path: pretrainedWeightsPath(weights, options), bytes: undefined };
    }),
  );
}

function isImportedWeights(value: unknown): value is Omit<ImportedWeights, 'path'> {
  const v = value as Partial<ImportedWeights> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.fileName === 'string' &&
    typeof v.source === 'string' &&
    typeof v.depth === 'number' &&
    typeof v.numClasses === 'number' &&
    typeof v.sha256 === 'string' &&
    typeof v.bytes === 'number' &&
    typeof v.importedAt === 'string'
  );
}

/** Imported checkpoints that match no catalog entry, oldest first. Sidecars without their file are skipped. */
export async function listImportedWeights(options: WeightsStoreOptions = {}): Promise<ImportedWeights[]> {
  const folder = path.join(folderOf(options), IMPORTED_FOLDER);
  const names = await readdir(folder).catch(() => [] as string[]);
  const found: ImportedWeights[] = [];
  for (const name of names.filter((n) => n.endsWith(SIDECAR_SUFFIX)).sort()) {
    const sidecar = await readFile(path.join(folder, name), 'utf8')
      .then((text) => JSON.parse(text) as unknown)
      .catch(() => undefined);
    if (!isImportedWeights(sidecar)) continue;
    const file = path.join(folder, sidecar.fileName);
    if ((await sizeOfFile(file)) === undefined) continue;
    found.push({ ...sidecar, path: file });
  }
  return found.sort((a, b) => a.importedAt.localeCompare(b.importedAt));
}

export interface EnsureWeightsOptions extends WeightsStoreOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels a download (WorkbenchError('CANCELLED')); a partial file is kept for the next attempt. */
  signal?: AbortSignal;
  /** Download from here instead of torchvision's server; default `$RESNET_WORKBENCH_WEIGHTS_URL` or torchvision's. */
  baseUrl?: string;
  /** For tests; default the global fetch. */
  fetchImpl?: typeof fetch;
  /** Connect and idle timeout of the download; default 30 000 ms. */
  timeoutMs?: number;
}

export interface EnsuredWeights {
  path: string;
  weights: PretrainedWeights;
  /** False when the file was already in the weights folder. */
  downloaded: boolean;
  /** Details of the transfer when one happened. */
  download: DownloadResult | undefined;
}

/** The catalog entry, or a NOT_FOUND error listing what exists for that depth. */
export function requirePretrainedWeights(
  depth: ResNetDepth,
  variant: WeightsVariant = DEFAULT_WEIGHTS_VARIANT,
  catalog: readonly PretrainedWeights[] = PRETRAINED_WEIGHTS,
): PretrainedWeights {
  const weights = catalog.find((w) => w.depth === depth && w.variant === variant);
  if (!weights) {
    const available = catalog.filter((w) => w.depth === depth).map((w) => w.variant);
    throw new WorkbenchError('NOT_FOUND', `torchvision publishes no ${variant} weights for ResNet-${depth}; available: ${available.join(', ') || 'none'}.`);
  }
  return weights;
}

/** Downloads in flight in this process, by destination, so two callers never write one .part file. */
const inFlight = new Map<string, Promise<DownloadResult>>();

/**
 * The path of torchvision's checkpoint for `depth` and `variant` (default IMAGENET1K_V1): in the
 * weights folder, else shipped with the app, else downloaded (with resume and SHA-256 check). A caller that joins a
 * download already running for the same file gets its result but not its progress events.
 */
export async function ensureWeights(
  depth: ResNetDepth,
  variant: WeightsVariant = DEFAULT_WEIGHTS_VARIANT,
  options: EnsureWeightsOptions = {},
): Promise<EnsuredWeights> {
  const weights = requirePretrainedWeights(depth, variant, catalogOf(options));
  const dest = pretrainedWeightsPath(weights, options);
  const found = await locatePretrainedWeights(weights, options);
  if (found) return { path: found.path, weights, downloaded: false, download: undefined };
  let running = inFlight.get(dest);
  if (!running) {
    const url = `${weightsBaseUrl(options.baseUrl)}/${weights.fileName}`;
    running = downloadFile(url, dest, {
      expectedSha256Prefix: weights.sha256Prefix,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    }).finally(() => inFlight.delete(dest));
    inFlight.set(dest, running);
  }
  const download = await running;
  return { path: dest, weights, downloaded: true, download };
}

/**
 * Whether torchvision's checkpoint could be downloaded from here now (a HEAD request to the same URL
 * ensureWeights would fetch). Asked only about a file that is not in the weights folder yet.
 */
export async function probeWeightsDownload(
  depth: ResNetDepth,
  variant: WeightsVariant = DEFAULT_WEIGHTS_VARIANT,
  options: Pick<EnsureWeightsOptions, 'catalog' | 'baseUrl' | 'fetchImpl' | 'timeoutMs'> = {},
): Promise<DownloadProbe> {
  const weights = requirePretrainedWeights(depth, variant, catalogOf(options));
  return probeDownload(`${weightsBaseUrl(options.baseUrl)}/${weights.fileName}`, {
    ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
    // A download may wait 30 s for a slow server; a question asked while a screen opens may not.
    timeoutMs: Math.min(options.timeoutMs ?? 5_000, 5_000),
  });
}

/** What a checkpoint file holds, as checked by parsing it: the part of an import that reads hostile input. */
export interface CheckpointInspection {
  format: CheckpointFormat;
  depth: ResNetDepth;
  numClasses: number;
  /** SHA-256 of the bytes that were parsed, so the copy can be tied to what was checked. */
  sha256: string;
}

/**
 * Parses `file` and says which torchvision ResNet it holds. This is where a hostile file is read; a
 * service that serves a UI runs it in a worker process (weights.import's 'inspect' model job).
 */
export async function inspectCheckpointFile(file: string): Promise<CheckpointInspection> {
  const bytes = await readRegularFile(file, { maxBytes: MAX_CHECKPOINT_FILE_BYTES, what: 'Checkpoint file' });
  const contents = parseCheckpointBytes(bytes, `'${file}'`);
  const found = describeCheckpoint(contents.tensors);
  return { format: contents.format, depth: found.depth, numClasses: found.numClasses, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export interface ImportWeightsOptions extends WeightsStoreOptions {
  /** Parses the file; default `inspectCheckpointFile` in this process. The service passes a worker's. */
  inspect?: (file: string) => Promise<CheckpointInspection>;
  /** The depth the file must have; default: whatever the checkpoint holds. */
  depth?: ResNetDepth;
  /**
   * Require the file to be this torchvision checkpoint (checked by SHA-256); default: recognise it
   * if it is one, else store it as an imported checkpoint.
   */
  variant?: WeightsVariant;
  /** Time recorded in the sidecar; default now. */
  now?: Date;
}

interface ImportCommon {
  /** Where the copy is. */
  path: string;
  source: string;
  depth: ResNetDepth;
  numClasses: number;
  sha256: string;
  bytes: number;
  /** True when an identical file was already stored (nothing was copied). */
  alreadyPresent: boolean;
}

export type ImportWeightsResult =
  | (ImportCommon & { kind: 'pretrained'; weights: PretrainedWeights })
  | (ImportCommon & { kind: 'imported'; sidecarPath: string });

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Copies `source` to `dest` atomically: a temp file in the destination folder, fsynced, checked
 * against `sha256` (so what is stored is what was verified), then renamed into place.
 */
export async function copyFileAtomic(source: string, dest: string, sha256: string): Promise<void> {
  const temp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await copyFile(source, temp, fsConstants.COPYFILE_EXCL);
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const copied = await sha256OfFile(temp);
    if (copied !== sha256) {
      throw new WorkbenchError('IO', `The copy of '${source}' differs from the original (SHA-256 ${copied} instead of ${sha256}); was it changed during the import?`);
    }
    await rename(temp, dest);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (error instanceof WorkbenchError) throw error;
    throw new WorkbenchError('IO', `Could not copy '${source}' to '${dest}': ${(error as Error).message}`, { cause: error });
  }
}

/** `my model.final.pth` → `my-model.final`: safe on every file system, recognisable to a person. */
function safeStem(file: string): string {
  const stem = path.basename(file, path.extname(file));
  return stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'checkpoint';
}

async function readSidecar(file: string): Promise<Omit<ImportedWeights, 'path'> | undefined> {
  const parsed = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => undefined);
  return isImportedWeights(parsed) ? parsed : undefined;
}

/**
 * Brings a local checkpoint (.pth zip or legacy, or .safetensors) into the weights folder, for machines
 * without internet. The file is read and checked to be a torchvision ResNet; if its SHA-256 matches
 * a catalog entry it is stored under that entry's canonical name (so `ensureWeights` finds it), else
 * under `imported/<name>-<sha256 prefix><ext>` with a JSON sidecar. Nothing is ever overwritten.
 *
 * Errors: NOT_FOUND (no such file), CHECKPOINT_* (not a readable ResNet checkpoint),
 * CHECKPOINT_MISMATCH (not the requested depth), CHECKSUM_MISMATCH (not the requested variant), IO.
 */
export async function importWeights(file: string, options: ImportWeightsOptions = {}): Promise<ImportWeightsResult> {
  const source = path.resolve(file);
  const bytes = await sizeOfFile(source);
  if (bytes === undefined) throw new WorkbenchError('NOT_FOUND', `No checkpoint file at '${source}'.`);
  const found = await (options.inspect ?? inspectCheckpointFile)(source);
  if (options.depth !== undefined && options.depth !== found.depth) {
    throw new WorkbenchError(
      'CHECKPOINT_MISMATCH',
      `'${source}' holds a ResNet-${found.depth} checkpoint, but ResNet-${options.depth} was asked for.`,
    );
  }
  const sha256 = await sha256OfFile(source);
  if (sha256 !== found.sha256) throw new WorkbenchError('IO', `'${source}' changed while it was being imported; try again.`);
  const catalog = catalogOf(options);
  const match = catalog.find((w) => w.sha256Prefix.length > 0 && sha256.startsWith(w.sha256Prefix));
  if (options.variant !== undefined) {
    const wanted = requirePretrainedWeights(found.depth, options.variant, catalog);
    if (match !== wanted) {
      throw new WorkbenchError(
        'CHECKSUM_MISMATCH',
        `'${source}' is not torchvision's ${wanted.torchvisionName} (${wanted.fileName}): its SHA-256 should begin with ` +
          `${wanted.sha256Prefix}, found ${sha256}. Leave out the variant to import it as your own checkpoint.`,
      );
    }
  }
  const common = { source, depth: found.depth, numClasses: found.numClasses, sha256, bytes };
  const folder = folderOf(options);

  if (match && match.depth === found.depth) {
    const dest = pretrainedWeightsPath(match, options);
    await mkdir(folder, { recursive: true });
    const alreadyPresent = (await sizeOfFile(dest)) !== undefined;
    if (!alreadyPresent) await copyFileAtomic(source, dest, sha256);
    return { kind: 'pretrained', weights: match, path: dest, alreadyPresent, ...common };
  }

  const importedFolder = path.join(folder, IMPORTED_FOLDER);
  await mkdir(importedFolder, { recursive: true });
  // Keep a checkpoint extension people recognise; otherwise name the format the content has.
  const given = path.extname(source).toLowerCase();
  const extension = KNOWN_EXTENSIONS.has(given) ? given : `.${found.format}`;
  // A longer prefix only if a different file already holds the short name.
  for (const length of [8, 16, 64]) {
    const fileName = `${safeStem(source)}-${sha256.slice(0, length)}${extension}`;
    const dest = path.join(importedFolder, fileName);
    const sidecarPath = `${dest}${SIDECAR_SUFFIX}`;
    const existingSize = await sizeOfFile(dest);
    if (existingSize !== undefined) {
      const existing = await readSidecar(sidecarPath);
      const sameFile = existing ? existing.sha256 === sha256 : (await sha256OfFile(dest)) === sha256;
      if (!sameFile) continue;
      if (!existing) await writeSidecar(sidecarPath, { fileName, ...common, importedAt: (options.now ?? new Date()).toISOString() });
      return { kind: 'imported', path: dest, sidecarPath, alreadyPresent: true, ...common };
    }
    await copyFileAtomic(source, dest, sha256);
    await writeSidecar(sidecarPath, { fileName, ...common, importedAt: (options.now ?? new Date()).toISOString() });
    return { kind: 'imported', path: dest, sidecarPath, alreadyPresent: false, ...common };
  }
  throw new WorkbenchError('ALREADY_EXISTS', `A different file already uses every name for '${source}' in '${importedFolder}'.`);
}

async function writeSidecar(sidecarPath: string, data: Omit<ImportedWeights, 'path'>): Promise<void> {
  await writeFileAtomic(sidecarPath, `${JSON.stringify(data, null, 2)}\n`);
}
