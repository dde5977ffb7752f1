/**
 * The Try-it screen's logic: images the user drops (read here, sent base64-encoded with
 * `models.classify`) or picks on the engine's machine (sent as paths with `models.predict`), each
 * with its top classes or its own error. Calls go in batches of MAX_IMAGES_PER_CALL, one at a time;
 * a file too large for the contract is refused here without calling the engine.
 */
import { computed, readonly, ref, shallowRef, watch, type Ref, type ShallowRef, type WatchSource } from 'vue';
import type { CallResult, FilePrediction, WorkbenchApi } from '../../../src-main/common/contract';
import type { ErrorData } from '../../../src-main/common/errors';
import { unwrap } from '../api/workbench';
import { encodeUpload, uploadName, uploadRefusal } from '../support/fileEncoding';
import { toApiError } from './useRun';

/** The contract's limit on images per models.classify call. */
export const MAX_IMAGES_PER_CALL = 32;
/** Classes shown per image. */
export const TOP_K = 5;
/** Longest side of an engine-side image's preview, in pixels. */
const PREVIEW_SIZE = 160;

export type TopClass = Extract<FilePrediction, { top: unknown }>['top'][number];

export interface TriedImage {
  /** Unique in this screen's list. */
  key: number;
  /** The file's name as shown. */
  name: string;
  /** Where it came from: 'upload' (this computer) or 'engine' (a path on the engine's machine). */
  origin: 'upload' | 'engine';
  /** The engine-side path, for 'engine' images. */
  path: string | null;
  /** A data: URL, when one could be made. */
  preview: string | null;
  state: 'waiting' | 'classifying' | 'done' | 'failed' | 'refused';
  /** Most probable first. */
  top: readonly TopClass[];
  error: ErrorData | null;
}

export interface UseClassify {
  /** Newest drop last. */
  images: Readonly<ShallowRef<readonly TriedImage[]>>;
  /** True while images are being read or classified. */
  busy: Readonly<Ref<boolean>>;
  /** Why nothing was sent (no model chosen); cleared by the next request. */
  problem: Readonly<Ref<string | null>>;
  /** Dropped or chosen files from this computer. */
  classifyFiles: (files: Iterable<File>) => Promise<void>;
  /** Absolute paths of image files on the engine's machine. */
  classifyEnginePaths: (paths: readonly string[]) => Promise<void>;
  clear: () => void;
}

/** Splits a list into runs of at most `size`. */
export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

/** The last part of a path, whichever separator the engine's system uses. */
function baseName(path: string): string {
  return path.split(/[\\/]/).filter((part) => part !== '').pop() ?? path;
}

/**
 * The engine answers each file in order, one answer per file. Should the counts differ, answers
 * are matched by file name instead, so no image shows another's classes. (Names are not compared
 * when the counts agree: the engine may report a path after resolving links.)
 */
export function matchPredictions(names: readonly string[], predictions: readonly FilePrediction[]): (FilePrediction | undefined)[] {
  if (predictions.length === names.length) return [...predictions];
  const unused = new Set(predictions.keys());
  return names.map((name) => {
    const at = predictions.findIndex((p, i) => unused.has(i) && p.file === name);
    if (at < 0) return undefined;
    unused.delete(at);
    return predictions[at];
  });
}

export function useClassify(api: WorkbenchApi, model: WatchSource<string | null>): UseClassify {
  const images = shallowRef<readonly TriedImage[]>([]);
  const problem = ref<string | null>(null);
  const pending = ref(0);
  let nextKey = 1;
  let currentModel: string | null = null;
  // Requests run one after another, in the order they were made.
  let queue: Promise<void> = Promise.resolve();

  watch(
    model,
    (value) => {
      if (value === currentModel) return;
      currentModel = value;
      // Results belong to the model that made them.
      images.value = [];
      problem.value = null;
    },
    { immediate: true },
  );

  function update(key: number, change: Partial<TriedImage>): void {
    images.value = images.value.map((image) => (image.key === key ? { ...image, ...change } : image));
  }

  function add(entries: Omit<TriedImage, 'key'>[]): TriedImage[] {
    const added = entries.map((entry) => ({ ...entry, key: nextKey++ }));
    images.value = [...images.value, ...added];
    return added;
  }

  function applyPredictions(batch: readonly TriedImage[], names: readonly string[], predictions: readonly FilePrediction[]): void {
    matchPredictions(names, predictions).forEach((prediction, index) => {
      const image = batch[index];
      if (!image) return;
      if (prediction === undefined) update(image.key, { state: 'failed', error: { code: 'INTERNAL', message: 'The engine returned no result for this image.' } });
      else if ('error' in prediction) update(image.key, { state: 'failed', error: prediction.error });
      else update(image.key, { state: 'done', top: prediction.top, error: null });
    });
  }

  function failBatch(batch: readonly TriedImage[], caught: unknown): void {
    const error = toApiError(caught);
    for (const image of batch) update(image.key, { state: 'failed', error: { code: error.code, message: error.message } });
  }

  /** Queues `work` behind earlier requests, counting it as busy until it ends. */
  function enqueue(work: () => Promise<void>): Promise<void> {
    pending.value += 1;
    const done = queue.then(work).finally(() => {
      pending.value -= 1;
    });
    // A failure must not stop the requests queued after it.
    queue = done.catch(() => undefined);
    return done;
  }

  function modelOrProblem(): string | null {
    problem.value = currentModel === null ? 'Choose a run to try first.' : null;
    return currentModel;
  }

  function classifyFiles(files: Iterable<File>): Promise<void> {
    const chosen = [...files];
    const modelId = modelOrProblem();
    if (modelId === null || chosen.length === 0) return Promise.resolve();
    const entries = chosen.map((file) => {
      const refusal = uploadRefusal(file);
      return {
        file,
        image: add([
          {
            name: uploadName(file.name),
            origin: 'upload',
            path: null,
            preview: null,
            state: refusal === null ? 'waiting' : 'refused',
            top: [],
            error: refusal === null ? null : { code: 'BAD_INPUT', message: refusal },
          },
        ])[0] as TriedImage,
      };
    });
    const accepted = entries.filter((entry) => entry.image.state === 'waiting');
    return enqueue(async () => {
      // Read a batch at a time, so at most one batch's bytes are held as base64 at once.
      for (const batch of inBatches(accepted, MAX_IMAGES_PER_CALL)) {
        if (currentModel !== modelId) return;
        const sendable: { image: TriedImage; name: string; data: string }[] = [];
        for (const { file, image } of batch) {
          update(image.key, { state: 'classifying' });
          try {
            const encoded = await encodeUpload(file);
            update(image.key, { preview: encoded.preview });
            sendable.push({ image, name: encoded.name, data: encoded.data });
          } catch (caught) {
            update(image.key, { state: 'failed', error: { code: 'IO', message: `Could not read ${file.name}: ${caught instanceof Error ? caught.message : String(caught)}` } });
          }
        }
        if (sendable.length === 0) continue;
        const sent = sendable.map((entry) => entry.image);
        try {
          const reply: CallResult<'models.classify'> = unwrap(
            await api.models.classify({ model: modelId, images: sendable.map(({ name, data }) => ({ name, data })), topK: TOP_K }),
          );
          if (currentModel !== modelId) return;
          applyPredictions(sent, sendable.map((entry) => entry.name), reply.predictions);
        } catch (caught) {
          if (currentModel === modelId) failBatch(sent, caught);
        }
      }
    });
  }

  async function addPreviews(batch: readonly TriedImage[]): Promise<void> {
    try {
      const reply = unwrap(await api.images.thumbnails({ paths: batch.map((image) => image.path ?? ''), size: PREVIEW_SIZE }));
      for (const thumbnail of reply.thumbnails) {
        const image = batch.find((candidate) => candidate.path === thumbnail.path);
        if (image && 'dataUrl' in thumbnail) update(image.key, { preview: thumbnail.dataUrl });
      }
    } catch {
      // A preview is a nicety: the prediction (or its error) says what matters.
    }
  }

  function classifyEnginePaths(paths: readonly string[]): Promise<void> {
    const modelId = modelOrProblem();
    if (modelId === null || paths.length === 0) return Promise.resolve();
    const added = add(paths.map((path) => ({ name: baseName(path), origin: 'engine', path, preview: null, state: 'waiting', top: [], error: null })));
    return enqueue(async () => {
      for (const batch of inBatches(added, MAX_IMAGES_PER_CALL)) {
        if (currentModel !== modelId) return;
        for (const image of batch) update(image.key, { state: 'classifying' });
        const files = batch.map((image) => image.path ?? '');
        void addPreviews(batch);
        try {
          const reply = unwrap(await api.models.predict({ model: modelId, files, topK: TOP_K }));
          if (currentModel !== modelId) return;
          applyPredictions(batch, files, reply.predictions);
        } catch (caught) {
          if (currentModel === modelId) failBatch(batch, caught);
        }
      }
    });
  }

  function clear(): void {
    images.value = [];
    problem.value = null;
  }

  const busy = computed(() => pending.value > 0);

  return { images, busy, problem: readonly(problem), classifyFiles, classifyEnginePaths, clear };
}
