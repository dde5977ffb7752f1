// @vitest-environment happy-dom
/**
 * The Run screen names each figure for its split: validation (chose the epoch), the last epoch's
 * validation, and the test folder scored once; files the run skipped are listed with their reason.
 */
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import RunView from '../../../src-renderer/src/views/RunView.vue';
import { FakeChart } from '../components/chartMock';
import { createFakeApi, runDetail, type FakeApi } from '../composables/fakeApi';
import { CLASSES, epoch, evaluation, RUN_ID, runEvent, started } from '../composables/runEvents.fixture';

vi.mock('chart.js', async () => (await import('../components/chartMock')).chartModule());

let fake: FakeApi;
const wrappers: VueWrapper[] = [];

beforeEach(() => {
  FakeChart.instances = [];
  resetSession();
  fake = createFakeApi();
  window.workbench = fake.api;
});

afterEach(() => {
  for (const wrapper of wrappers.splice(0)) wrapper.unmount();
  delete window.workbench;
});

const skipped = runEvent('run.skipped', {
  runId: RUN_ID,
  files: [{ path: '/data/train/dog/cut.jpg', reason: 'truncated', detail: 'JPEG data ends early (2048 bytes)', folder: 'train' }],
  total: 1,
});

const testEvaluation = runEvent('run.evaluation', {
  runId: RUN_ID,
  epoch: 1,
  split: 'test',
  accuracy: 0.71,
  loss: 0.8,
  // Two classes' worth of k is not informative: the engine sends null and nothing is shown.
  topK: null,
  confusionMatrix: { labels: CLASSES, matrix: [[5, 1, 0], [1, 5, 1], [0, 2, 5]] },
  perClass: CLASSES.map((label) => ({ label, precision: 0.7, recall: 0.7, f1: 0.7, support: 7 })),
  macroF1: 0.7,
  misclassified: [],
});

const finished = runEvent('run.finished', {
  runId: RUN_ID,
  folder: `/runs/${RUN_ID}`,
  bestEpoch: 1,
  epochsRun: 2,
  stoppedEarly: false,
  selectEpoch: 'validation',
  validationAccuracy: 0.75,
  lastEpochValidationAccuracy: 0.6,
  testAccuracy: 0.71,
  trainImages: 95,
  skippedFiles: 1,
  seconds: 9.5,
});

describe('RunView: named splits and skipped files', () => {
  it('shows validation, last-epoch validation and the test folder scored once, and lists the skipped file', async () => {
    useSession().runId = RUN_ID;
    const events = [started(), skipped, epoch(1, 0.85, 0.5, true), evaluation(1, 0.75), epoch(2, 0.6, 0.8, false), evaluation(2, 0.6), testEvaluation, finished];
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'finished', events) };
    const wrapper = mount(RunView);
    wrappers.push(wrapper);
    await flushPromises();

    expect(wrapper.get('[data-testid="summary-validation-accuracy"]').text()).toBe('75.0%');
    expect(wrapper.get('[data-testid="summary-last-accuracy"]').text()).toBe('60.0%');
    expect(wrapper.get('[data-testid="summary-test-accuracy"]').text()).toBe('71.0%');
    expect(wrapper.get('[data-testid="run-summary"]').text()).toContain('Test accuracy (scored once)');
    expect(wrapper.get('[data-testid="summary-explained"]').text()).toMatch(/chosen on the validation images.*test folder was scored once/s);

    // The epochs' evaluation stays the validation one; the test folder has its own panel.
    expect(wrapper.get('[data-testid="evaluation-epoch"]').text()).toBe('2');
    expect(wrapper.get('[data-testid="evaluation-split"]').text()).toContain('validation');
    expect(wrapper.get('[data-testid="evaluation-topk"]').text()).toBe('95.0%');
    const test = wrapper.get('[data-testid="test-evaluation"]');
    expect(test.text()).toContain('on the kept model (epoch 1)');
    expect(wrapper.get('[data-testid="test-evaluation-accuracy"]').text()).toBe('71.0%');
    expect(test.find('[data-testid="test-evaluation-topk"]').exists()).toBe(false);

    const files = wrapper.get('[data-testid="skipped-files"]');
    expect(files.text()).toContain('Skipped files (1)');
    expect(wrapper.get('[data-testid="skipped-file"]').text()).toBe('/data/train/dog/cut.jpg: Cut-off images (the file ends early) (JPEG data ends early (2048 bytes))');
    expect(wrapper.get('[data-testid="summary-skipped"]').text()).toContain('1 file(s) could not be used');
  });

  it('shows no skipped-files panel when nothing was skipped', async () => {
    useSession().runId = RUN_ID;
    fake.getReply = { ok: true, value: runDetail(RUN_ID, 'running', [started(), epoch(1, 0.85, 0.5, true), evaluation(1, 0.75)]) };
    const wrapper = mount(RunView);
    wrappers.push(wrapper);
    await flushPromises();
    expect(wrapper.find('[data-testid="skipped-files"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="test-evaluation"]').exists()).toBe(false);
  });
});
