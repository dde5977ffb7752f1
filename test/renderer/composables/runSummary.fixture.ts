/** A runs.list entry for the renderer's tests: a ResNet-18 linear run on cat/dog, scored when finished. */
import type { RunSummary } from '../../../src-main/common/contract';

export const runSummary = (runId: string, status: RunSummary['status']): RunSummary => ({
  runId,
  folder: `/runs/${runId}`,
  status,
  createdAt: '2026-11-27T10:00:00.000Z',
  depth: 18,
  mode: 'linear',
  classes: ['cat', 'dog'],
  testAccuracy: status === 'finished' ? 0.9 : null,
  name: null,
  note: null,
  hasCheckpoint: status !== 'running',
});
