/**
 * Entry of the engine's worker process: one training run, or model jobs (predictions, exports,
 * checkpoint inspections) one after another, driven by messages from the engine
 * (common/trainerMessages.ts). Started by Electron's utilityProcess.fork (messages through
 * `process.parentPort`) or by Node's child_process.fork (messages through `process.send`).
 *
 * The parent owns the process's lifetime: a training run's process is ended when the run ends; the
 * model job pool (service/modelJobQueue.ts) keeps a worker for further jobs only after a success.
 */
import { toErrorData, WorkbenchError } from '../../common/errors';
import type { RunEvent } from '../../common/runEvents';
import { parseTrainerRequest, type TrainerReply } from '../../common/trainerMessages';
import { runModelJob } from '../service/modelCalls';
import { trainRun } from './trainer';

interface ParentLink {
  post(message: TrainerReply): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** Electron's utilityProcess child port; not in Node's types. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function parentLink(): ParentLink {
  const electronPort = (process as NodeJS.Process & { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      post: (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data)),
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('trainerProcess must be started by utilityProcess.fork or child_process.fork (it has no channel to its parent).');
  // An engine that dies without ending its trainer must not leave it training, unseen, for hours.
  process.on('disconnect', () => process.exit(1));
  return {
    post: (message) => void send(message),
    onMessage: (listener) => process.on('message', listener),
  };
}

function serve(link: ParentLink): void {
  const controller = new AbortController();
  /** A training run was started here: the process is its alone. */
  let training = false;
  /** A model job is running now. */
  let modelJobRunning = false;
  const fail = (error: unknown): void => link.post({ type: 'failed', error: toErrorData(error) });

  link.onMessage((raw) => {
    let request;
    try {
      request = parseTrainerRequest(raw);
    } catch (error) {
      fail(error);
      return;
    }
    if (request.type === 'cancel') {
      controller.abort();
      return;
    }
    if (training || modelJobRunning) {
      fail(new WorkbenchError('BUSY', 'This worker process is busy with another job; start a new process for this one.'));
      return;
    }
    if (request.type === 'model') {
      modelJobRunning = true;
      runModelJob(request.job, request.options)
        .then(
          (value) => link.post({ type: 'result', value }),
          (error: unknown) => fail(error),
        )
        .finally(() => (modelJobRunning = false));
      return;
    }
    training = true;
    const { runId, options } = request;
    // Events sent before the run folder exists carry a placeholder id; the engine's id is the real one.
    const onEvent = (event: RunEvent): void => link.post({ type: 'event', event: { event: event.event, payload: { ...event.payload, runId } } as RunEvent });
    trainRun({ ...options, signal: controller.signal, onEvent }).then(
      // Spread: the message type is checked structurally, and RunReport is an interface (no index signature).
      (report) => link.post({ type: 'done', report: { ...report } }),
      (error: unknown) => fail(controller.signal.aborted && !(error instanceof WorkbenchError) ? new WorkbenchError('CANCELLED', 'Training was cancelled.') : error),
    );
  });
}

// Ctrl-C in a terminal reaches the whole process group: the engine that owns this process decides
// (it sends 'cancel', so the run ends as cancelled with its checkpoint, then ends the process).
process.on('SIGINT', () => undefined);

serve(parentLink());
