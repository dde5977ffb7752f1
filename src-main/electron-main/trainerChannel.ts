/**
 * The trainer process of the desktop app is an Electron utilityProcess: a Node process owned by main,
 * so a training step never runs on main's thread and a trainer that dies (out of memory, a crash)
 * leaves the app running. This adapts Electron's UtilityProcess to the engine's `TrainerChannel`
 * (node/service/trainerHost.ts), which does the rest: messages, cancellation, a death made an error.
 */
import type { TrainerRequest } from '../common/trainerMessages';
import type { TrainerChannel, TrainerExit } from '../node/service/trainerHost';

/** What the adapter needs of Electron's UtilityProcess (narrowed so it can be faked in tests). */
export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export function utilityTrainerChannel(child: UtilityProcessLike): TrainerChannel {
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  return {
    postMessage: (message: TrainerRequest) => {
      // Posting to an exited process throws in Electron; its 'exit' is reported to the run instead.
      if (!exited) child.postMessage(message);
    },
    onMessage: (listener) => {
      child.on('message', listener);
    },
    onExit: (listener) => {
      // Electron reports the exit code only; a crash or a kill shows as a non-zero code.
      child.on('exit', (code) => listener({ code, signal: null } satisfies TrainerExit));
    },
    kill: () => {
      if (!exited) child.kill();
    },
  };
}
