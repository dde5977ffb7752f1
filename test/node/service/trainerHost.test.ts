import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { resolveRunConfig } from '../../../src-main/common/runConfig';
import { RUN_EVENT_SCHEMAS, type RunEvent } from '../../../src-main/common/runEvents';
import type { TrainerRunOptions } from '../../../src-main/common/trainerMessages';
import { forkTrainerProcess, runInTrainerProcess, type TrainerChannel, type TrainerExit } from '../../../src-main/node/service/trainerHost';
import { writeColourSplit } from '../../support/colourDataset';

let work: string;
let previousData: string | undefined;

function options(runId: string, epochs = 2): TrainerRunOptions {
  return {
    config: resolveRunConfig({
      trainDir: path.join(work, 'train'),
      testDir: path.join(work, 'test'),
      weights: 'none',
      imageSize: 32,
      epochs,
      batchSize: 8,
      lr: 0.01,
      augment: false,
      seed: 3,
      // Six images a class, all trained on; the last epoch is kept and the test folder scored once.
      valSplit: 0,
      selectEpoch: 'last',
    }),
    outFolder: path.join(work, 'runs', runId),
    batchEventInterval: 0,
  };
}

async function settle<T>(promise: Promise<T>): Promise<T | WorkbenchError> {
  return promise.catch((error: unknown) => {
    if (error instanceof WorkbenchError) return error;
    throw error;
  });
}

/** The trainer's channel, with its exit recorded for the test to check the process really ended. */
function forkRecorded(): { channel: TrainerChannel; exited: Promise<TrainerExit> } {
  const channel = forkTrainerProcess();
  const exited = new Promise<TrainerExit>((resolve) => channel.onExit(resolve));
  return { channel, exited };
}

describe('training in a trainer process', () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'rw-trainer-host-'));
    previousData = process.env.RESNET_WORKBENCH_DATA;
    // Inherited by the forked trainer: nothing it writes may land in the real app data folder.
    process.env.RESNET_WORKBENCH_DATA = path.join(work, 'data');
    await writeColourSplit(path.join(work, 'train'), 6, 1);
    await writeColourSplit(path.join(work, 'test'), 3, 2);
  });
  afterAll(async () => {
    if (previousData === undefined) delete process.env.RESNET_WORKBENCH_DATA;
    else process.env.RESNET_WORKBENCH_DATA = previousData;
    await rm(work, { recursive: true, force: true });
  });

  it('trains a run in the child: events arrive validated, in order, with the engine run id, then the report', async () => {
    const { channel, exited } = forkRecorded();
    const events: RunEvent[] = [];
    const run = runInTrainerProcess(channel, 'run-ok', options('run-ok'), (event) => events.push(event));
    const report = await run.done;
    expect(report.folder).toBe(path.join(work, 'runs', 'run-ok'));
    expect(report.classes).toEqual(['blue', 'green', 'red']);
    expect(report.epochsRun).toBe(2);
    expect(report.testAccuracy).toBeGreaterThanOrEqual(0.9);
    for (const e of events) {
      expect(RUN_EVENT_SCHEMAS[e.event].safeParse(e.payload).success, e.event).toBe(true);
      expect(e.payload.runId).toBe('run-ok');
    }
    const names = events.map((e) => e.event);
    expect(names.indexOf('run.started')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('run.started')).toBeLessThan(names.indexOf('run.batch'));
    expect(names.at(-1)).toBe('run.finished');
    expect(events.filter((e) => e.event === 'run.epoch').map((e) => (e.event === 'run.epoch' ? e.payload.epoch : 0))).toEqual([1, 2]);
    // The host ends the process once the run has settled.
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('cancel stops the run: run.failed with CANCELLED, and done rejects with CANCELLED', async () => {
    const { channel, exited } = forkRecorded();
    const events: RunEvent[] = [];
    const run = runInTrainerProcess(channel, 'run-cancel', options('run-cancel', 50), (event) => {
      events.push(event);
      if (event.event === 'run.batch') run.cancel();
    });
    const result = await settle(run.done);
    expect(result).toBeInstanceOf(WorkbenchError);
    expect((result as WorkbenchError).code).toBe('CANCELLED');
    const failed = events.at(-1);
    expect(failed?.event).toBe('run.failed');
    if (failed?.event === 'run.failed') expect(failed.payload.error.code).toBe('CANCELLED');
    expect(events.filter((e) => e.event === 'run.epoch').length).toBeLessThan(50);
    await exited;
  });

  it('a trainer killed with SIGKILL mid-run gives a clear error, and the next run succeeds', async () => {
    const { channel } = forkRecorded();
    const events: RunEvent[] = [];
    const run = runInTrainerProcess(channel, 'run-killed', options('run-killed', 50), (event) => {
      events.push(event);
      if (event.event === 'run.batch') channel.kill('SIGKILL');
    });
    const result = await settle(run.done);
    expect(result).toBeInstanceOf(WorkbenchError);
    expect((result as WorkbenchError).code).toBe('INTERNAL');
    expect((result as WorkbenchError).message).toMatch(/trainer process died \(signal SIGKILL\)/);
    expect(events.some((e) => e.event === 'run.finished' || e.event === 'run.failed')).toBe(false);

    const again = forkRecorded();
    const report = await runInTrainerProcess(again.channel, 'run-after', options('run-after', 1), () => undefined).done;
    expect(report.epochsRun).toBe(1);
    await again.exited;
  });

  it('the trainer answers a malformed request with failed, naming what was wrong', async () => {
    const { channel, exited } = forkRecorded();
    const reply = new Promise<unknown>((resolve) => channel.onMessage(resolve));
    channel.postMessage({ type: 'start', runId: 5 } as unknown as Parameters<TrainerChannel['postMessage']>[0]);
    expect(await reply).toEqual({ type: 'failed', error: { code: 'INTERNAL', message: expect.stringMatching(/malformed message \(runId: .*options: /) as unknown } });
    channel.kill();
    expect((await exited).signal).toBe('SIGTERM');
  });
});

describe('messages from the trainer are validated', () => {
  /** A channel whose "child" says what the test tells it to. */
  function fakeChannel(replies: unknown[]): TrainerChannel & { killed: boolean; exit: (exit: TrainerExit) => void } {
    let listener: (message: unknown) => void = () => undefined;
    let exitListener: (exit: TrainerExit) => void = () => undefined;
    const channel = {
      killed: false,
      postMessage: (message: { type: string }) => {
        if (message.type === 'start') queueMicrotask(() => replies.forEach((r) => listener(r)));
      },
      onMessage: (l: (message: unknown) => void) => {
        listener = l;
      },
      onExit: (l: (exit: TrainerExit) => void) => {
        exitListener = l;
      },
      exit: (exit: TrainerExit) => exitListener(exit),
      kill: () => {
        channel.killed = true;
      },
    };
    return channel;
  }

  it('an exit code without a signal (as Electron reports) is named in the error', async () => {
    const channel = fakeChannel([]);
    const run = runInTrainerProcess(channel, 'z', options('z'), () => undefined);
    channel.exit({ code: 134, signal: null });
    const result = await settle(run.done);
    expect((result as WorkbenchError).code).toBe('INTERNAL');
    expect((result as WorkbenchError).message).toMatch(/trainer process died \(exit code 134\)/);
  });

  it('a trainer that does not stop after cancel is ended after the grace period, with CANCELLED', async () => {
    const channel = fakeChannel([]);
    const run = runInTrainerProcess(channel, 'w', options('w'), () => undefined, { cancelGraceMs: 50 });
    run.cancel();
    expect(channel.killed).toBe(false);
    const result = await settle(run.done);
    expect((result as WorkbenchError).code).toBe('CANCELLED');
    expect(channel.killed).toBe(true);
  });

  it('an event with a payload its schema refuses ends the run with INTERNAL and kills the trainer', async () => {
    const channel = fakeChannel([
      { type: 'event', event: { event: 'run.progress', payload: { runId: 'x', phase: 'scanning', done: 0, total: 1, etaSeconds: null } } },
      { type: 'event', event: { event: 'run.epoch', payload: { runId: 'x', epoch: 'one' } } },
      { type: 'done', report: { runId: 'x', folder: '/f', classes: [], bestEpoch: 1, epochsRun: 1, testAccuracy: 1 } },
    ]);
    const events: RunEvent[] = [];
    const result = await settle(runInTrainerProcess(channel, 'x', options('x'), (e) => events.push(e)).done);
    expect(result).toBeInstanceOf(WorkbenchError);
    expect((result as WorkbenchError).code).toBe('INTERNAL');
    expect((result as WorkbenchError).message).toMatch(/sent a malformed message \(event\.payload\.epoch: /);
    expect(events.map((e) => e.event)).toEqual(['run.progress']);
    expect(channel.killed).toBe(true);
  });

  it('an unknown message type is refused too', async () => {
    const channel = fakeChannel([{ type: 'hello' }]);
    const result = await settle(runInTrainerProcess(channel, 'y', options('y'), () => undefined).done);
    expect((result as WorkbenchError).message).toMatch(/sent a malformed message/);
  });
});
