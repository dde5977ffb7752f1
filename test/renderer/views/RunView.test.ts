// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { markStartedHere, resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { resetTrainForm, useTrainForm } from '../../../src-renderer/src/composables/useTrainForm';
import { LIVE_APPLY_INTERVAL_MS } from '../../../src-renderer/src/composables/useRun';
import RunView from '../../../src-renderer/src/views/RunView.vue';
import { FakeChart } from '../components/chartMock';
import { createFakeApi, runDetail, type FakeApi } from '../composables/fakeApi';
import { batch, epoch, evaluation, failed, fullRun, progress, RUN_ID, runEvent, started } from '../composables/runEvents.fixture';

vi.mock('chart.js', async () => (await import('../components/chartMock')).chartModule());

let fake: FakeApi;
const wrappers: VueWrapper[] = [];

function chartOf(wrapper: VueWrapper, testid: string): FakeChart {
  const canvas = wrapper.get(`[data-testid="${testid}"] canvas`).element;
  const chart = FakeChart.instances.find((instance) => instance.canvas === canvas);
  if (!chart) throw new Error(`no chart for ${testid}`);
  return chart;
}

async function mountRunView(): Promise<VueWrapper> {
  const wrapper = mount(RunView);
  wrappers.push(wrapper);
  await flushPromises();
  return wrapper;
}

beforeEach(() => {
  FakeChart.instances = [];
  resetSession();
  fake = createFakeApi();
  window.workbench = fake.api;
});

/** Lets useRun apply the live events it holds (a redraw at most every LIVE_APPLY_INTERVAL_MS), then renders. */
async function liveEventsApplied(): Promise<void> {
  vi.advanceTimersByTime(LIVE_APPLY_INTERVAL_MS);
  await flushPromises();
}

afterEach(() => {
  vi.useRealTimers();
  resetTrainForm();
  for (const wrapper of wrappers.splice(0)) wrapper.unmount();
  delete window.workbench;
});

describe('RunView', () => {
  it('says no run is selected and offers the history', async () => {
    const wrapper = await mountRunView();
    expect(wrapper.get('[data-testid="no-run"]').text()).toContain('No run selected');
    await wrapper.get('[data-testid="go-history"]').trigger('click');
    expect(useSession().view).toBe('history');
    expect(fake.calls.get).toBe(0);
  });

  it('follows a live run: progress, charts updated in place, the matrix of the latest evaluation', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    fake.handle('images.thumbnails', (params) => ({
      ok: true,
      value: { thumbnails: (params as { paths: string[] }).paths.map((path) => ({ path, dataUrl: 'data:image/png;base64,AA==', width: 1, height: 1 })) },
    }));
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started(), progress('training', 1, 6, 75)]) };
    const wrapper = await mountRunView();
    expect(wrapper.get('[data-testid="run-status"]').text()).toBe('Running');
    expect(wrapper.get('[data-testid="run-progress"]').text()).toContain('1 / 6');
    expect(wrapper.get('[data-testid="run-eta"]').text()).toBe('about 1 min 15 s left');
    expect(wrapper.find('[data-testid="confusion-matrix"]').exists()).toBe(false);

    const batchChart = chartOf(wrapper, 'chart-batch-loss');
    expect(batchChart.data.datasets[0]!.data).toEqual([]);
    fake.emitRun(batch(1, 1, 1.1));
    fake.emitRun(batch(1, 2, 0.9));
    await liveEventsApplied();
    expect(wrapper.get('[data-testid="chart-batch-loss"]').attributes('data-points')).toBe('2');
    // x is the fractional epoch: 3 batches per epoch.
    expect(batchChart.data.datasets[0]!.data).toEqual([{ x: 1 / 3, y: 1.1 }, { x: 2 / 3, y: 0.9 }]);
    fake.emitRun(batch(1, 3, 0.8));
    await liveEventsApplied();
    expect(FakeChart.ys(batchChart, 'training loss')).toEqual([1.1, 0.9, 0.8]);
    expect(batchChart.updates.every((mode) => mode === 'none')).toBe(true);
    expect(batchChart.updates.length).toBeGreaterThanOrEqual(2);

    fake.emitRun(epoch(1, 0.85, 0.7, true));
    fake.emitRun(evaluation(1, 0.75));
    await liveEventsApplied();
    const lossChart = chartOf(wrapper, 'chart-epoch-loss');
    expect(FakeChart.ys(lossChart, 'train')).toEqual([0.85]);
    expect(FakeChart.ys(lossChart, 'validation')).toEqual([0.7]);
    expect(FakeChart.ys(chartOf(wrapper, 'chart-epoch-accuracy'), 'validation')).toEqual([0.65]);
    expect(wrapper.get('[data-testid="evaluation-epoch"]').text()).toBe('1');
    expect(wrapper.get('[data-testid="evaluation-accuracy"]').text()).toBe('75.0%');
    expect(wrapper.get('[data-testid="evaluation-topk"]').text()).toBe('95.0%');
    const cells = wrapper.findAll('[data-testid="cm-cell"]');
    expect(cells).toHaveLength(9);
    expect(cells[0]!.text()).toContain('7');
    expect(wrapper.get('[data-testid="per-class-table"]').text()).toContain('cat');
    expect(wrapper.findAll('[data-testid="misclassified-item"]')).toHaveLength(1);

    // The next epoch's evaluation replaces the matrix; the charts are still the same instances.
    fake.emitRun(epoch(2, 0.5, 0.55, true));
    fake.emitRun(evaluation(2, 0.83));
    await liveEventsApplied();
    expect(wrapper.get('[data-testid="evaluation-epoch"]').text()).toBe('2');
    // The misclassified image of both epochs was asked for once: its thumbnail stays, run after run of epochs.
    expect(fake.received['images.thumbnails']).toHaveLength(1);
    expect(wrapper.get('[data-testid="misclassified-item"] img').attributes('src')).toBe('data:image/png;base64,AA==');
    expect(FakeChart.ys(lossChart, 'train')).toEqual([0.85, 0.5]);
    expect(FakeChart.instances).toHaveLength(3);
  });

  it('stays light with thousands of batch points: every point counted, a decimated few drawn', async () => {
    useSession().runId = RUN_ID;
    const history = [started(), progress('training', 1, 6, 10)];
    for (let step = 1; step <= 6000; step += 1) {
      const epochIndex = Math.ceil(step / 3000);
      history.push(runEvent('run.batch', { runId: RUN_ID, epoch: epochIndex, batch: step - (epochIndex - 1) * 3000, batches: 3000, loss: 1 / step, accuracy: 0.5, lr: 0.01 }));
    }
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', history) };
    const wrapper = await mountRunView();
    const chart = chartOf(wrapper, 'chart-batch-loss');
    expect(wrapper.get('[data-testid="chart-batch-loss"]').attributes('data-points')).toBe('6000');
    const drawn = chart.data.datasets[0]!.data;
    expect(drawn.length).toBeLessThanOrEqual(1000);
    expect(drawn.at(-1)).toEqual({ x: 2, y: 1 / 6000 });
    fake.emitRun(runEvent('run.batch', { runId: RUN_ID, epoch: 3, batch: 1, batches: 3000, loss: 0.01, accuracy: 0.5, lr: 0.01 }));
    await flushPromises();
    expect(wrapper.get('[data-testid="chart-batch-loss"]').attributes('data-points')).toBe('6001');
    expect(chart.data.datasets[0]!.data.at(-1)).toEqual({ x: 2 + 1 / 3000, y: 0.01 });
    expect(FakeChart.instances).toHaveLength(3);
  });

  it('cancels a running run through runs.cancel and then shows it cancelled', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started(), progress('training', 1, 6, 10)]) };
    const wrapper = await mountRunView();
    await wrapper.get('[data-testid="cancel-run"]').trigger('click');
    // Asked first, saying the run was not started in this window; "Keep training" keeps it.
    expect(fake.calls.cancel).toBe(0);
    expect(wrapper.get('[data-testid="confirm-cancel"]').text()).toContain('This run was not started in this window');
    await wrapper.get('[data-testid="confirm-cancel-no"]').trigger('click');
    expect(wrapper.find('[data-testid="confirm-cancel"]').exists()).toBe(false);
    expect(fake.calls.cancel).toBe(0);
    markStartedHere(RUN_ID);
    await wrapper.get('[data-testid="cancel-run"]').trigger('click');
    expect(wrapper.get('[data-testid="confirm-cancel"]').text()).not.toContain('not started in this window');
    await wrapper.get('[data-testid="confirm-cancel-yes"]').trigger('click');
    expect(fake.calls.cancel).toBe(1);
    expect(wrapper.get('[data-testid="cancel-run"]').text()).toBe('Cancelling…');
    expect(wrapper.get('[data-testid="cancel-run"]').attributes('disabled')).toBeDefined();
    fake.emitRun(failed('CANCELLED', 'The run was cancelled.'));
    await flushPromises();
    expect(wrapper.find('[data-testid="cancel-run"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="run-status"]').text()).toBe('Cancelled');
    expect(wrapper.get('[data-testid="run-cancelled"]').text()).toContain(`/runs/${RUN_ID}/checkpoint`);
  });

  it('shows why a cancel failed and lets the user try again', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started(), progress('training', 1, 6, 10)]) };
    fake.cancelReply = { ok: false, error: { code: 'NOT_FOUND', message: 'No run is running here.' } };
    const wrapper = await mountRunView();
    await wrapper.get('[data-testid="cancel-run"]').trigger('click');
    await wrapper.get('[data-testid="confirm-cancel-yes"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="run-error"]').text()).toContain('No run is running here.');
    expect(wrapper.get('[data-testid="cancel-run"]').text()).toBe('Cancel');
  });

  it('offers a way on when the weights could not be downloaded offline: random initialisation, or an import', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [progress('weights', 0, 1, null)]) };
    const wrapper = await mountRunView();
    fake.emitRun(failed('OFFLINE', 'Cannot reach download.pytorch.org (ENOTFOUND).'));
    await flushPromises();
    expect(wrapper.get('[data-testid="offline-help"]').text()).toContain('this machine has no internet access');
    expect(useTrainForm().weights).toBe('imagenet');
    await wrapper.get('[data-testid="offline-random"]').trigger('click');
    expect(useTrainForm().weights).toBe('none');
    expect(useSession().view).toBe('train');
  });

  it('offers no offline way on for other failures', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started()]) };
    const wrapper = await mountRunView();
    fake.emitRun(failed('OUT_OF_MEMORY', 'out of memory'));
    await flushPromises();
    expect(wrapper.find('[data-testid="offline-help"]').exists()).toBe(false);
  });

  it('resumes a cancelled run in place: the new start’s events bring it back to running', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'cancelled', [started(), epoch(1, 0.9, 0.8, true), failed('CANCELLED', 'Training was cancelled.')]) };
    fake.handle('runs.resume', ({ runId }) => ({ ok: true, value: { runId, folder: `/runs/${runId}` } }));
    const wrapper = await mountRunView();
    expect(wrapper.get('[data-testid="run-status"]').text()).toBe('Cancelled');
    await wrapper.get('[data-testid="resume-run"]').trigger('click');
    await flushPromises();
    expect(fake.received['runs.resume']).toEqual([{ runId: RUN_ID }]);
    expect(wrapper.get('[data-testid="resume-run"]').text()).toBe('Resuming…');
    expect(wrapper.get('[data-testid="run-cancelled"]').text()).toContain('its best epoch so far was 1 (60.0% validation accuracy)');
    const again = started();
    if (again.event === 'run.started') again.payload.attempt = 2;
    fake.emitRun(again);
    fake.emitRun(progress('training', 1, 2, 5));
    await liveEventsApplied();
    expect(wrapper.get('[data-testid="run-status"]').text()).toBe('Running');
    expect(wrapper.find('[data-testid="resume-run"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="run-cancelled"]').exists()).toBe(false);
  });

  it('shows a failed run with its code and message', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started(), progress('training', 1, 6, 10), batch(1, 1, 1.1)]) };
    const wrapper = await mountRunView();
    fake.emitRun(failed('OUT_OF_MEMORY', 'The backend ran out of memory at batch 2 (batch size 64).'));
    await flushPromises();
    expect(wrapper.get('[data-testid="run-status"]').text()).toBe('Failed');
    expect(wrapper.get('[data-testid="run-failure"]').text()).toBe('The backend ran out of memory at batch 2 (batch size 64).');
    expect(wrapper.find('[data-testid="cancel-run"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="run-progress"]').exists()).toBe(false);
  });

  it('opens the images of a matrix cell with their confidence', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', fullRun()) };
    fake.handle('runs.images', (params) => ({
      ok: true,
      value: { epoch: params.epoch ?? 2, actual: 'dog', predicted: 'fox', total: 1, images: [{ file: '/data/val/dog/d7.jpg', confidence: 0.615 }] },
    }));
    fake.handle('images.thumbnails', (params) => ({
      ok: true,
      value: { thumbnails: params.paths.map((path) => ({ path, dataUrl: `data:image/jpeg;base64,AAAA`, width: 8, height: 8 })) },
    }));
    const wrapper = await mountRunView();
    await wrapper.get('[data-testid="cm-cell"][data-actual="1"][data-predicted="2"]').trigger('click');
    await flushPromises();
    expect(fake.received['runs.images']).toEqual([{ runId: RUN_ID, epoch: 2, actual: 1, predicted: 2, limit: 200 }]);
    const gallery = wrapper.get('[data-testid="image-gallery"]');
    expect(gallery.text()).toContain('dog predicted as fox');
    const items = gallery.findAll('[data-testid="gallery-item"]');
    expect(items).toHaveLength(1);
    expect(items[0]!.text()).toContain('d7.jpg');
    expect(items[0]!.text()).toContain('61.5% confident');
    expect(items[0]!.get('img').attributes('src')).toBe('data:image/jpeg;base64,AAAA');
    expect(fake.received['images.thumbnails']).toContainEqual({ paths: ['/data/val/dog/d7.jpg'], size: 128 });

    await gallery.get('[data-testid="gallery-close"]').trigger('click');
    expect(wrapper.find('[data-testid="image-gallery"]').exists()).toBe(false);
  });

  it('says when a cell’s images are not kept for that epoch', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', fullRun()) };
    fake.handle('runs.images', () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'Per-image results of epoch 2 are not kept.' } }));
    const wrapper = await mountRunView();
    await wrapper.get('[data-testid="cm-cell"][data-actual="0"][data-predicted="0"]').trigger('click');
    await flushPromises();
    const error = wrapper.get('[data-testid="gallery-error"]');
    expect(error.text()).toContain('are not kept');
    expect(error.text()).toContain('Per-image results of epoch 2 are not kept.');
    expect(wrapper.findAll('[data-testid="gallery-item"]')).toHaveLength(0);
  });

  it('sums up a finished run and goes on to Export and Try it', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', fullRun()) };
    const wrapper = await mountRunView();
    const summary = wrapper.get('[data-testid="run-summary"]');
    expect(summary.get('[data-testid="summary-best-epoch"]').text()).toBe('2 of 2');
    expect(summary.get('[data-testid="summary-test-accuracy"]').text()).toBe('83.0%');
    expect(summary.get('[data-testid="summary-seconds"]').text()).toBe('10 s');
    // The best epoch is the last: no separate last-epoch figure.
    expect(summary.find('[data-testid="summary-last-accuracy"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="cancel-run"]').exists()).toBe(false);
    await summary.get('[data-testid="go-export"]').trigger('click');
    expect(useSession().view).toBe('export');
    await summary.get('[data-testid="go-try"]').trigger('click');
    expect(useSession().view).toBe('try');
  });

  it('switches to another run when the selection changes and stops listening to the first', async () => {
    const session = useSession();
    session.runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started(), batch(1, 1, 1.1)]) };
    const wrapper = await mountRunView();
    const listening = fake.listenerCount();
    expect(wrapper.get('[data-testid="chart-batch-loss"]').attributes('data-points')).toBe('1');

    fake.getReply = { ok: true, value: runDetail('other-run', 'finished', fullRun('other-run')) };
    session.runId = 'other-run';
    await flushPromises();
    expect(fake.listenerCount()).toBe(listening);
    expect(wrapper.text()).toContain('other-run');
    expect(wrapper.get('[data-testid="chart-batch-loss"]').attributes('data-points')).toBe('6');
    fake.emitRun(batch(1, 2, 0.3));
    await flushPromises();
    expect(wrapper.get('[data-testid="chart-batch-loss"]').attributes('data-points')).toBe('6');

    wrapper.unmount();
    wrappers.splice(0);
    expect(fake.listenerCount()).toBe(0);
  });
});
