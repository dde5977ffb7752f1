/**
 * Worker-thread entry of the transform pool: runs transform jobs, writing each image's values into
 * the slot of shared memory the request names, so nothing is copied or allocated per image to send
 * the values back.
 */
import { parentPort } from 'node:worker_threads';
import { runTransformJob, type TransformJob, type TransformResult } from './transformJob';

export interface TransformRequest {
  id: number;
  job: TransformJob;
  /** Where the values go: float32 elements from `offset` on in `buffer`. */
  slot: { buffer: SharedArrayBuffer; offset: number };
}

export interface TransformResponse {
  id: number;
  result: TransformResult;
}

parentPort?.on('message', (request: TransformRequest) => {
  // A view of the shared memory (each message brings its own handle to it), not a copy.
  const target = new Float32Array(request.slot.buffer);
  void runTransformJob(request.job, target, request.slot.offset)
    .catch((error: unknown): TransformResult => ({
      ok: false,
      issue: { path: request.job.path, reason: 'corrupt', detail: `cannot transform: ${error instanceof Error ? error.message : String(error)}` },
    }))
    .then((result) => {
      const response: TransformResponse = { id: request.id, result };
      parentPort?.postMessage(response);
    });
});

// Tells the pool the module has loaded (the 'online' event comes before imports finish).
parentPort?.postMessage({ ready: true });
