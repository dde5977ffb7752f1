/**
 * A window that opens with no run chosen shows the run the engine is training, if any: the engine
 * trains one run at a time for every window and tab, so a second tab, or a window reopened while a
 * run trains, lands on it instead of on an empty Run screen.
 */
import type { WorkbenchApi } from '../../../src-main/common/contract';
import type { Session } from './useSession';

export async function pickUpRunningRun(api: WorkbenchApi, session: Session): Promise<void> {
  if (session.runId !== null) return;
  const reply = await api.runs.list();
  if (!reply.ok) return; // The History screen shows the same failure with its message.
  const running = reply.value.runs.find((run) => run.status === 'running');
  if (!running || session.runId !== null) return;
  session.runId = running.runId;
  if (session.view === 'data') session.view = 'run';
}
