/**
 * Worker-thread entry of the transform pool: runs transform jobs and sends the pixels back,
 * transferring their memory instead of copying it.
 */
import { parentPort } from 'node:worker_threads';
import { runTransformJob, type TransformJob, type TransformResult } from './transformJob';

export interface TransformRequest {
  id: number;
  job: TransformJob;
}

export interface TransformResponse {
  id: number;
  result: TransformResult;
}

parentPort?.on('message', (request: TransformRequest) => {
  void runTransformJob(request.job).then((result) => {
    const response: TransformResponse = { id: request.id, result };
    if (!result.ok) {
      parentPort?.postMessage(response);
      return;
    }
    // Transfer only a buffer the pixels own whole; a view into a larger buffer is copied first.
    const { pixels } = result;
    const owned = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice();
    parentPort?.postMessage({ id: request.id, result: { ok: true, pixels: owned } }, [owned.buffer as ArrayBuffer]);
  });
});

// Tells the pool the module has loaded (the 'online' event comes before imports finish).
parentPort?.postMessage({ ready: true });
