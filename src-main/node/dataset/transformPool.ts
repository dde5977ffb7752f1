/**
 * A small pool of worker threads running transform jobs, so decoding and the (JavaScript) resize
 * of several images use several cores instead of the loader's one thread.
 *
 * From TypeScript sources (tsx, vitest) the worker runs `transformWorker.ts` through tsx; from a
 * build it runs `transformWorker.js` next to the bundle. If the workers cannot start (no such file
 * in a bundle that did not include it), {@link startTransformPool} resolves to undefined and the
 * caller transforms on its own thread: the results are the same, only slower.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TransformJob, TransformResult } from './transformJob';
import type { TransformRequest, TransformResponse } from './transformWorker';

export interface TransformPool {
  readonly threads: number;
  /** Runs `job` in a worker, which writes the values into `slot` (float32 elements of shared memory). */
  run(job: TransformJob, slot: TransformRequest['slot']): Promise<TransformResult>;
  close(): Promise<void>;
}

/** How long a worker may take to come up before the pool gives up on threads. */
const STARTUP_TIMEOUT_MS = 20_000;

/** tsx's ESM API entry (`require.resolve` would give its CommonJS one), read from its package exports. */
function tsxEsmApiPath(): string {
  const packageJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const entry = manifest.exports['./esm/api']?.import?.default;
  if (!entry) throw new Error('tsx does not export ./esm/api');
  return join(dirname(packageJson), entry);
}

/**
 * A worker for the current way of running: the .js worker next to a build, or for TypeScript
 * sources a small bootstrap that registers tsx in the worker, then imports the .ts worker.
 */
function createWorker(): Worker {
  const fromTypeScript = import.meta.url.endsWith('.ts');
  if (!fromTypeScript) return new Worker(new URL('./transformWorker.js', import.meta.url));
  const workerUrl = new URL('./transformWorker.ts', import.meta.url).href;
  const tsxApi = pathToFileURL(tsxEsmApiPath()).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Resolves once the worker has loaded and said it is ready; undefined if it fails or takes too long. */
function startWorker(): Promise<Worker | undefined> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = createWorker();
    } catch {
      resolve(undefined);
      return;
    }
    const fail = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      void worker.terminate();
      resolve(undefined);
    };
    const timer = setTimeout(fail, STARTUP_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      if ((message as { ready?: boolean } | null)?.ready !== true) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', fail);
      worker.off('exit', fail);
      resolve(worker);
    };
    worker.on('message', onMessage);
    worker.once('error', fail);
    worker.once('exit', fail);
  });
}

/** Starts `threads` workers; undefined when they cannot run here. */
export async function startTransformPool(threads: number): Promise<TransformPool | undefined> {
  const started = await Promise.all(Array.from({ length: threads }, startWorker));
  const workers = started.filter((w): w is Worker => w !== undefined);
  if (workers.length < threads) {
    await Promise.all(workers.map((w) => w.terminate()));
    return undefined;
  }
  const pending = new Map<number, { resolve: (r: TransformResult) => void; reject: (e: unknown) => void; worker: Worker }>();
  const inFlight = new Map<Worker, number>(workers.map((w) => [w, 0]));
  let nextId = 0;
  let closed = false;
  for (const worker of workers) {
    const failAll = (error: unknown): void => {
      // A crashed worker fails its jobs; the loader reports them rather than hanging.
      for (const [id, entry] of pending) {
        if (entry.worker !== worker) continue;
        pending.delete(id);
        entry.reject(error);
      }
    };
    worker.on('exit', (code) => failAll(new Error(`transform worker exited with code ${code}`)));
    worker.on('message', (response: TransformResponse) => {
      const entry = pending.get(response.id);
      if (!entry) return;
      pending.delete(response.id);
      inFlight.set(worker, (inFlight.get(worker) ?? 1) - 1);
      entry.resolve(response.result);
    });
    worker.on('error', failAll);
  }
  return {
    threads: workers.length,
    run(job, slot) {
      if (closed) return Promise.reject(new Error('the transform pool is closed'));
      // The least busy worker takes the job.
      let worker = workers[0] as Worker;
      for (const w of workers) if ((inFlight.get(w) ?? 0) < (inFlight.get(worker) ?? 0)) worker = w;
      inFlight.set(worker, (inFlight.get(worker) ?? 0) + 1);
      const id = nextId++;
      return new Promise<TransformResult>((resolve, reject) => {
        pending.set(id, { resolve, reject, worker });
        const request: TransformRequest = { id, job, slot };
        worker.postMessage(request);
      });
    },
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
