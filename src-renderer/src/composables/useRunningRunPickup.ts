/**
 * A window that opens with no run chosen shows the run the engine is training, if any: the engine
 * trains one run at a time for every window and tab, so a second tab, or a window reopened while a
 * run trains, lands on it instead of on an empty Run screen.
 */
import type { WorkbenchApi } from '../../../src-main/common/contract';
import type { Session } from './useSession';

/** The id of the run the engine is training, if any (null too when the list cannot be had). */
export async function runningRunId(api: WorkbenchApi): Promise<string | null> {
  // The History screen shows the same failure with its message.
  const reply = await api.runs.list().catch(() => null);
  if (!reply?.ok) return null;
  return reply.value.runs.find((run) => run.status === 'running')?.runId ?? null;
}

export async function pickUpRunningRun(api: WorkbenchApi, session: Session): Promise<void> {
  if (session.runId !== null) return;
  const running = await runningRunId(api);
  if (running === null || session.runId !== null) return;
  session.runId = running;
  if (session.view === 'data') session.view = 'run';
}
