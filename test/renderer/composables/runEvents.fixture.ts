/**
 * Realistic run events for the renderer's tests, each checked against the contract's schema when
 * built, so a test cannot pass on an event the engine could never send.
 */
import { RUN_EVENT_SCHEMAS, type RunEvent, type RunEventName, type RunEventPayload } from '../../../src-main/common/runEvents';

export const RUN_ID = 'run-2026-11-27-a';
export const CLASSES = ['cat', 'dog', 'fox'];

export function runEvent<E extends RunEventName>(event: E, payload: RunEventPayload<E>): RunEvent {
  // parse() throws on anything the schema refuses (strict objects: no extra fields either).
  const checked = RUN_EVENT_SCHEMAS[event].parse(payload);
  return { event, payload: checked } as RunEvent;
}

export function started(runId = RUN_ID): RunEvent {
  return runEvent('run.started', {
    runId,
    folder: `/runs/${runId}`,
    classes: CLASSES,
    trainImages: 96,
    evalImages: 24,
    evalSplit: 'validation',
    backend: 'cpu',
    weights: 'resnet18-f37072fd.pth',
  });
}

export function progress(phase: RunEventPayload<'run.progress'>['phase'], done: number, total: number, etaSeconds: number | null, runId = RUN_ID): RunEvent {
  return runEvent('run.progress', { runId, phase, done, total, etaSeconds });
}

export function batch(epoch: number, index: number, loss: number, runId = RUN_ID): RunEvent {
  return runEvent('run.batch', { runId, epoch, batch: index, batches: 3, loss, accuracy: 0.5, lr: 0.01 });
}

export function epoch(n: number, trainLoss: number, evalLoss: number | null, best: boolean, runId = RUN_ID): RunEvent {
  return runEvent('run.epoch', {
    runId,
    epoch: n,
    epochs: 2,
    trainLoss,
    trainAccuracy: 1 - trainLoss / 2,
    evalLoss,
    evalAccuracy: evalLoss === null ? null : 1 - evalLoss / 2,
    lr: 0.01,
    seconds: 4.2,
    best,
  });
}

export function evaluation(n: number, accuracy: number, runId = RUN_ID): RunEvent {
  return runEvent('run.evaluation', {
    runId,
    epoch: n,
    split: 'validation',
    accuracy,
    loss: 0.6,
    topK: { k: 2, accuracy: 0.95 },
    confusionMatrix: { labels: CLASSES, matrix: [[7, 1, 0], [1, 6, 1], [0, 2, 6]] },
    perClass: CLASSES.map((label) => ({ label, precision: 0.8, recall: 0.8, f1: 0.8, support: 8 })),
    macroF1: 0.8,
    misclassified: [{ file: '/data/train/dog/d1.jpg', actual: 'dog', predicted: 'cat', confidence: 0.7, loss: 1.2 }],
  });
}

export function finished(runId = RUN_ID): RunEvent {
  return runEvent('run.finished', { runId, folder: `/runs/${runId}`, bestEpoch: 2, epochsRun: 2, stoppedEarly: false, testAccuracy: 0.83, seconds: 9.5 });
}

export function failed(code: 'CANCELLED' | 'OUT_OF_MEMORY' | 'OFFLINE', message: string, runId = RUN_ID): RunEvent {
  return runEvent('run.failed', { runId, folder: `/runs/${runId}`, error: { code, message }, checkpoint: code === 'CANCELLED' ? `/runs/${runId}/checkpoint` : null });
}

/** A whole two-epoch run in the order the trainer sends it. */
export function fullRun(runId = RUN_ID): RunEvent[] {
  return [
    progress('scanning', 0, 0, null, runId),
    started(runId),
    progress('training', 0, 6, 12, runId),
    batch(1, 1, 1.1, runId),
    batch(1, 2, 0.9, runId),
    batch(1, 3, 0.8, runId),
    progress('evaluating', 3, 6, 6, runId),
    epoch(1, 0.85, 0.7, true, runId),
    evaluation(1, 0.75, runId),
    batch(2, 1, 0.6, runId),
    batch(2, 2, 0.5, runId),
    batch(2, 3, 0.45, runId),
    progress('saving', 6, 6, 0, runId),
    epoch(2, 0.5, 0.55, true, runId),
    evaluation(2, 0.83, runId),
    finished(runId),
  ];
}
