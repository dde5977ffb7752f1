// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallResult, RunSummary } from '../../../src-main/common/contract';
import { resolveRunConfig } from '../../../src-main/common/runConfig';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import HistoryView from '../../../src-renderer/src/views/HistoryView.vue';
import { FakeChart } from '../components/chartMock';
import { createFakeApi, runDetail, type FakeApi } from '../composables/fakeApi';
import { epoch, failed, fullRun, started } from '../composables/runEvents.fixture';

vi.mock('chart.js', async () => (await import('../components/chartMock')).chartModule());

function summary(runId: string, overrides: Partial<RunSummary> = {}): RunSummary {
  return { runId, folder: `/runs/${runId}`, status: 'finished', createdAt: '2026-11-27T10:00:00.000Z', depth: 18, mode: 'linear', classes: ['cat', 'dog', 'fox'], testAccuracy: 0.83, name: null, note: null, hasCheckpoint: true, ...overrides };
}

const RUNS = [summary('run-b', { depth: 50, mode: 'finetune', testAccuracy: 0.91 }), summary('run-a'), summary('run-c', { status: 'failed', testAccuracy: null })];

function detailOf(runId: string): CallResult<'runs.get'> {
  if (runId === 'run-a') return { ...runDetail(runId, 'finished', fullRun(runId)), config: resolveRunConfig({ trainDir: '/data/train', epochs: 2 }) };
  if (runId === 'run-b') {
    // Other curves: a finetune run at depth 50 with a different learning rate.
    const events = [started(runId), epoch(1, 0.6, 0.4, true, runId), epoch(2, 0.3, 0.2, true, runId)];
    return { ...runDetail(runId, 'finished', events), config: resolveRunConfig({ trainDir: '/data/train', epochs: 2, depth: 50, mode: 'finetune', lr: 0.01 }) };
  }
  return { ...runDetail(runId, 'failed', [started(runId), failed('OUT_OF_MEMORY', 'Out of memory at batch 3.', runId)]), config: resolveRunConfig({ trainDir: '/data/train' }) };
}

let fake: FakeApi;
const wrappers: VueWrapper[] = [];

async function mountHistory(): Promise<VueWrapper> {
  const wrapper = mount(HistoryView);
  wrappers.push(wrapper);
  await flushPromises();
  return wrapper;
}

function row(wrapper: VueWrapper, runId: string) {
  return wrapper.get(`[data-testid="history-row"][data-run-id="${runId}"]`);
}

beforeEach(() => {
  FakeChart.instances = [];
  resetSession();
  fake = createFakeApi();
  fake.listReply = { ok: true, value: { runs: RUNS } };
  fake.handle('runs.get', ({ runId }) => (['run-a', 'run-b', 'run-c'].includes(runId) ? { ok: true, value: detailOf(runId) } : { ok: false, error: { code: 'NOT_FOUND', message: `No run named ${runId}` } }));
  window.workbench = fake.api;
});

afterEach(() => {
  for (const wrapper of wrappers.splice(0)) wrapper.unmount();
  delete window.workbench;
});

describe('HistoryView', () => {
  it('lists the runs newest first with their depth, mode, classes, status and accuracy', async () => {
    const wrapper = await mountHistory();
    const rows = wrapper.findAll('[data-testid="history-row"]');
    expect(rows.map((r) => r.attributes('data-run-id'))).toEqual(['run-b', 'run-a', 'run-c']);
    const cells = rows[0]!.findAll('td').map((td) => td.text());
    expect(cells.slice(2)).toEqual(['run-b', '50', 'fine-tune', '3', 'finished', '91.0%']);
    expect(rows[2]!.text()).toContain('failed');
    expect(rows[2]!.findAll('td').at(-1)!.text()).toBe('—');
    expect(wrapper.get('[data-testid="history-table"]').findAll('th[scope="col"]').map((th) => th.text())).toContain('Test accuracy');
  });

  it('shows a run’s settings and result when its row is clicked, and opens it', async () => {
    const wrapper = await mountHistory();
    await row(wrapper, 'run-a').trigger('click');
    await flushPromises();
    expect(fake.received['runs.get']).toEqual([{ runId: 'run-a' }]);
    const panel = wrapper.get('[data-testid="run-detail"]');
    expect(panel.text()).toContain('run-a');
    const result = panel.get('[data-testid="run-result"]').text();
    expect(result).toContain('83.0%');
    expect(result).toContain('kept epoch 2');
    const settings = panel.get('[data-testid="run-settings"]');
    const pairs = settings.findAll('[data-testid="run-setting"]').map((entry) => [entry.get('dt').text(), entry.get('dd').text()]);
    // The Train screen's names, not the configuration's keys.
    expect(pairs).toContainEqual(['Depth', '18']);
    expect(pairs).toContainEqual(['Learning rate', '0.001']);
    expect(pairs).toContainEqual(['Normalisation mean', '0.485, 0.456, 0.406']);
    expect(pairs.map(([key]) => key)).not.toContain('lr');

    await panel.get('[data-testid="open-run"]').trigger('click');
    expect(useSession().runId).toBe('run-a');
    expect(useSession().view).toBe('run');
  });

  it('shows a failed run’s error and a run that cannot be loaded', async () => {
    fake.listReply = { ok: true, value: { runs: [...RUNS, summary('gone')] } };
    const wrapper = await mountHistory();
    await row(wrapper, 'run-c').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="run-detail-failure"]').text()).toBe('Why it stopped: Out of memory at batch 3.');
    await row(wrapper, 'gone').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="run-detail-error"]').text()).toBe('Could not load the run: No run named gone');
  });

  it('compares two ticked runs: both curves on one chart and only the settings that differ', async () => {
    const wrapper = await mountHistory();
    const compare = wrapper.get('[data-testid="compare-runs"]');
    expect(compare.attributes('disabled')).toBeDefined();
    await row(wrapper, 'run-a').get('[data-testid="compare-check"]').setValue(true);
    await row(wrapper, 'run-b').get('[data-testid="compare-check"]').setValue(true);
    // Ticking does not open the row's details.
    expect(wrapper.find('[data-testid="run-detail"]').exists()).toBe(false);
    // A third run cannot be ticked.
    expect(row(wrapper, 'run-c').get('[data-testid="compare-check"]').attributes('disabled')).toBeDefined();
    expect(compare.attributes('disabled')).toBeUndefined();

    await compare.trigger('click');
    await flushPromises();
    const chartFigure = wrapper.get('[data-testid="compare-chart"]');
    expect(chartFigure.attributes('data-points')).toBe('8');
    const chart = FakeChart.instances.find((instance) => instance.canvas === chartFigure.get('canvas').element)!;
    expect(chart.data.datasets.map((d) => d.label)).toEqual(['run-a accuracy', 'run-a loss', 'run-b accuracy', 'run-b loss']);
    expect(FakeChart.ys(chart, 'run-a loss')).toEqual([0.7, 0.55]);
    expect(FakeChart.ys(chart, 'run-b accuracy')).toEqual([0.8, 0.9]);
    expect(chart.data.datasets.map((d) => d.yAxisID)).toEqual(['y', 'y2', 'y', 'y2']);
    // Identical curves (same seed, same data) stay distinguishable by their markers.
    expect(chart.data.datasets.map((d) => (d as { pointStyle?: string }).pointStyle)).toEqual(['circle', 'circle', 'rectRot', 'rectRot']);

    const diff = wrapper.get('[data-testid="settings-diff"]');
    expect(wrapper.get('[data-testid="compare-table"]').findAll('thead th').map((th) => th.text())).toEqual(['run-a', 'run-b']);
    expect(diff.text()).toContain('Settings that differ');
    const rows = diff.findAll('[data-testid="settings-diff-row"]').map((tr) => tr.findAll('th, td').map((c) => c.text()));
    expect(rows).toEqual([
      ['Depth', '18', '50'],
      ['Mode', 'linear', 'finetune'],
      ['Learning rate', '0.001', '0.01'],
    ]);
    // The final figures side by side.
    const figures = Object.fromEntries(
      wrapper.findAll('[data-testid="compare-figure-row"]').map((tr) => {
        const [label, ...values] = tr.findAll('th, td').map((c) => c.text());
        return [label, values];
      }),
    );
    expect(figures['Status']).toEqual(['finished', 'finished']);
    expect(figures['Epochs run']).toEqual(['2', '2']);
    expect(figures['Kept epoch']).toEqual(['2', '2']);

    // Unticking one drops the comparison.
    await row(wrapper, 'run-b').get('[data-testid="compare-check"]').setValue(false);
    expect(wrapper.find('[data-testid="comparison"]').exists()).toBe(false);
    expect(chart.destroyed).toBe(true);
  });

  it('names and notes a run; the list and the comparison show the name', async () => {
    const wrapper = await mountHistory();
    await row(wrapper, 'run-a').trigger('click');
    await flushPromises();
    const save = wrapper.get('[data-testid="run-label-save"]');
    expect(save.attributes('disabled')).toBeDefined();
    fake.handle('runs.label', ({ label }) => ({ ok: true, value: { name: label.name?.trim() || null, note: label.note?.trim() || null } }));
    const named = detailOf('run-a');
    fake.handle('runs.get', ({ runId }) => ({ ok: true, value: runId === 'run-a' ? { ...named, label: { name: 'baseline', note: 'first try' } } : detailOf(runId) }));
    fake.listReply = { ok: true, value: { runs: [RUNS[0]!, { ...RUNS[1]!, name: 'baseline', note: 'first try' }, RUNS[2]!] } };
    await wrapper.get('[data-testid="run-name"]').setValue(' baseline ');
    await wrapper.get('[data-testid="run-note"]').setValue('first try');
    await wrapper.get('[data-testid="run-label"]').trigger('submit');
    await flushPromises();
    expect(fake.received['runs.label']).toEqual([{ runId: 'run-a', label: { name: ' baseline ', note: 'first try' } }]);
    expect(wrapper.get('[data-testid="run-detail"] h3').text()).toBe('Run baseline');
    expect(row(wrapper, 'run-a').text()).toContain('baseline');
    expect(row(wrapper, 'run-a').get('[data-testid="history-note"]').text()).toBe('first try');

    await row(wrapper, 'run-a').get('[data-testid="compare-check"]').setValue(true);
    await row(wrapper, 'run-b').get('[data-testid="compare-check"]').setValue(true);
    await wrapper.get('[data-testid="compare-runs"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('#comparison-title').text()).toBe('baseline and run-b');
  });

  it('deletes a run only after a yes, and forgets it everywhere', async () => {
    const wrapper = await mountHistory();
    await row(wrapper, 'run-a').trigger('click');
    await flushPromises();
    fake.handle('runs.delete', () => ({ ok: true, value: { deleted: true } }));
    await wrapper.get('[data-testid="delete-run"]').trigger('click');
    const dialog = wrapper.get('[data-testid="confirm-delete"]');
    expect(dialog.text()).toContain('cannot be undone');
    expect(dialog.text()).toContain('/runs/run-a');
    // No: nothing happens.
    await wrapper.get('[data-testid="confirm-delete-no"]').trigger('click');
    expect(fake.received['runs.delete']).toBeUndefined();
    expect(wrapper.find('[data-testid="confirm-delete"]').exists()).toBe(false);

    await wrapper.get('[data-testid="delete-run"]').trigger('click');
    fake.listReply = { ok: true, value: { runs: [RUNS[0]!, RUNS[2]!] } };
    await wrapper.get('[data-testid="confirm-delete-yes"]').trigger('click');
    await flushPromises();
    expect(fake.received['runs.delete']).toEqual([{ runId: 'run-a' }]);
    expect(wrapper.find('[data-testid="run-detail"]').exists()).toBe(false);
    expect(wrapper.find('[data-run-id="run-a"]').exists()).toBe(false);
  });

  it('resumes a stopped run and opens it; a cancelled run shows its best epoch so far', async () => {
    const cancelledEvents = [started('run-d'), epoch(1, 0.6, 0.5, true, 'run-d'), epoch(2, 0.5, 0.7, true, 'run-d'), epoch(3, 0.45, 0.65, false, 'run-d'), failed('CANCELLED', 'Training was cancelled.', 'run-d')];
    fake.listReply = { ok: true, value: { runs: [...RUNS, summary('run-d', { status: 'cancelled', testAccuracy: null })] } };
    const facts = { classes: ['cat', 'dog', 'fox'], weightsSource: 'none', weightsSha256: null, appVersion: '0.1.0', createdAt: '2026-11-27T10:00:00.000Z' };
    fake.handle('runs.get', ({ runId }) => ({
      ok: true,
      value: runId === 'run-d' ? { ...runDetail('run-d', 'cancelled', cancelledEvents), facts, config: resolveRunConfig({ trainDir: '/data/train', epochs: 10 }) } : detailOf(runId),
    }));
    fake.handle('runs.resume', ({ runId }) => ({ ok: true, value: { runId, folder: `/runs/${runId}` } }));
    const wrapper = await mountHistory();
    await row(wrapper, 'run-d').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="run-best-so-far"]').text()).toContain('2 (validation accuracy 65.0%)');
    expect(wrapper.find('[data-testid="run-detail-failure"]').exists()).toBe(false);
    // A run that failed before it had a folder has nothing to resume.
    await row(wrapper, 'run-c').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="resume-run"]').exists()).toBe(false);
    await row(wrapper, 'run-d').trigger('click');
    await flushPromises();
    await wrapper.get('[data-testid="resume-run"]').trigger('click');
    await flushPromises();
    expect(fake.received['runs.resume']).toEqual([{ runId: 'run-d' }]);
    expect([useSession().runId, useSession().view]).toEqual(['run-d', 'run']);
  });

  it('hides runs that stopped before training until asked', async () => {
    fake.listReply = { ok: true, value: { runs: [...RUNS, summary('run-e', { status: 'failed', testAccuracy: null, hasCheckpoint: false })] } };
    const wrapper = await mountHistory();
    expect(wrapper.find('[data-run-id="run-e"]').exists()).toBe(false);
    // A failed run that trained stays in sight.
    expect(wrapper.find('[data-run-id="run-c"]').exists()).toBe(true);
    await wrapper.get('[data-testid="show-empty-runs"]').setValue(true);
    expect(wrapper.find('[data-run-id="run-e"]').exists()).toBe(true);
  });

  it('says which run could not be compared', async () => {
    fake.listReply = { ok: true, value: { runs: [...RUNS, summary('gone')] } };
    const wrapper = await mountHistory();
    await row(wrapper, 'run-a').get('[data-testid="compare-check"]').setValue(true);
    await row(wrapper, 'gone').get('[data-testid="compare-check"]').setValue(true);
    await wrapper.get('[data-testid="compare-runs"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="compare-error"]').text()).toContain('gone: No run named gone');
    expect(wrapper.find('[data-testid="comparison"]').exists()).toBe(false);
  });

  it('reports a failed list and an empty one', async () => {
    fake.listReply = { ok: false, error: { code: 'IO', message: 'The runs folder cannot be read.' } };
    const wrapper = await mountHistory();
    expect(wrapper.get('[data-testid="history-error"]').text()).toContain('The runs folder cannot be read.');
    fake.listReply = { ok: true, value: { runs: [] } };
    await wrapper.get('[data-testid="history-refresh"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="history-error"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="history-empty"]').text()).toContain('No runs yet');
  });
});
