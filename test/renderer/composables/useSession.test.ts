// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { pickUpRunningRun } from '../../../src-renderer/src/composables/useRunningRunPickup';
import { resetSession, restoredSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { createFakeApi } from './fakeApi';

afterEach(() => resetSession());

const summary = (runId: string, status: 'running' | 'finished') => ({
  runId,
  folder: `/runs/${runId}`,
  status,
  createdAt: '2026-11-27T12:00:00.000Z',
  depth: 18 as const,
  mode: 'linear' as const,
  classes: ['a', 'b'],
  testAccuracy: null,
  name: null,
  note: null,
  hasCheckpoint: false,
});

describe('useSession', () => {
  it('keeps the choices, not the scan, for a reload of the tab', () => {
    const session = useSession();
    session.trainDir = '/data/train';
    session.runId = 'run-1';
    session.view = 'run';
    session.scan = { images: 1 } as never;
    expect(restoredSession()).toEqual({ trainDir: '/data/train', testDir: null, scan: null, runId: 'run-1', view: 'run' });
  });

  it('ignores stored values of the wrong type and unreadable storage', () => {
    sessionStorage.setItem('resnet-workbench:session', JSON.stringify({ trainDir: 5, runId: 'r', view: 'settings' }));
    expect(restoredSession()).toEqual({ trainDir: null, testDir: null, scan: null, runId: 'r', view: 'data' });
    sessionStorage.setItem('resnet-workbench:session', '{not json');
    expect(restoredSession().view).toBe('data');
  });

  it('starts fresh after a reset', () => {
    useSession().runId = 'x';
    resetSession();
    expect(restoredSession().runId).toBeNull();
  });
});

describe('pickUpRunningRun', () => {
  it('shows the run the engine is training to a window that has chosen none', async () => {
    const fake = createFakeApi();
    fake.listReply = { ok: true, value: { runs: [summary('new', 'running'), summary('old', 'finished')] } };
    await pickUpRunningRun(fake.api, useSession());
    expect(useSession().runId).toBe('new');
    expect(useSession().view).toBe('run');
  });

  it('leaves a chosen run, an idle engine and a failed list alone', async () => {
    const fake = createFakeApi();
    fake.listReply = { ok: true, value: { runs: [summary('new', 'running')] } };
    useSession().runId = 'mine';
    await pickUpRunningRun(fake.api, useSession());
    expect(useSession().runId).toBe('mine');
    expect(fake.calls.list).toBe(0);

    resetSession();
    fake.listReply = { ok: true, value: { runs: [summary('old', 'finished')] } };
    await pickUpRunningRun(fake.api, useSession());
    expect(useSession().runId).toBeNull();

    fake.listReply = { ok: false, error: { code: 'IO', message: 'disk gone' } };
    await pickUpRunningRun(fake.api, useSession());
    expect([useSession().runId, useSession().view]).toEqual([null, 'data']);
  });

  it('keeps the screen the user is on', async () => {
    const fake = createFakeApi();
    fake.listReply = { ok: true, value: { runs: [summary('new', 'running')] } };
    useSession().view = 'history';
    await pickUpRunningRun(fake.api, useSession());
    expect([useSession().runId, useSession().view]).toEqual(['new', 'history']);
  });
});
