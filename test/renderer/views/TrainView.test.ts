// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../../src-main/common/contract';
import { runConfigSchema } from '../../../src-main/common/runConfig';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { resetTrainForm } from '../../../src-renderer/src/composables/useTrainForm';
import TrainView from '../../../src-renderer/src/views/TrainView.vue';
import { createFakeApi, type FakeApi } from '../composables/fakeApi';
import { pretrained, serveWeights } from '../composables/weightsFixture';
import { cleanTrainScan, splitParentScan } from '../components/scanFixture';

const native: EngineInfo = { backend: 'tensorflow', tfjsBackend: 'tensorflow', versions: {}, convGradients: true, skipped: [] };

let fake: FakeApi;

function engineIs(info: EngineInfo): void {
  fake.handle('engine.info', () => ({ ok: true, value: info }));
}

async function mountView() {
  window.workbench = fake.api;
  const wrapper = mount(TrainView);
  await flushPromises();
  return wrapper;
}

function inputValue(wrapper: Awaited<ReturnType<typeof mountView>>, testid: string): string {
  return (wrapper.get(`[data-testid="${testid}"]`).element as HTMLInputElement).value;
}

beforeEach(() => {
  fake = createFakeApi();
  serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', true), pretrained(50, 'IMAGENET1K_V1', false), pretrained(50, 'IMAGENET1K_V2', false)], imported: [] });
  engineIs(native);
  useSession().trainDir = '/data/train';
});

afterEach(() => {
  delete window.workbench;
  resetSession();
  resetTrainForm();
});

describe('TrainView', () => {
  it('offers the catalog’s depths with size, cost and weights, and the schema’s defaults', async () => {
    const wrapper = await mountView();
    const defaults = runConfigSchema.parse({ trainDir: 'x' });
    const row18 = wrapper.get('[data-testid="depth-row"][data-depth="18"]').text();
    expect(row18).toContain('ResNet-18');
    expect(row18).toContain('11.7 M');
    expect(row18).toContain('1.81');
    expect(wrapper.get('[data-testid="weights-status-18"]').text()).toBe('V1 ✓');
    expect(wrapper.get('[data-testid="weights-status-50"]').text()).toBe('V1 not downloaded, V2 not downloaded');
    expect((wrapper.get(`[data-testid="field-depth-${defaults.depth}"]`).element as HTMLInputElement).checked).toBe(true);
    expect(Number(inputValue(wrapper, 'field-epochs'))).toBe(defaults.epochs);
    expect(Number(inputValue(wrapper, 'field-lr'))).toBe(defaults.lr);
    expect(Number(inputValue(wrapper, 'field-batchSize'))).toBe(defaults.batchSize);
    expect(Number(inputValue(wrapper, 'field-imageSize'))).toBe(defaults.imageSize);
    // Empty: the weights variant's own crop.
    expect(inputValue(wrapper, 'field-crop')).toBe('');
    expect(Number(inputValue(wrapper, 'field-valSplit'))).toBe(defaults.valSplit);
    expect(Number(inputValue(wrapper, 'field-seed'))).toBe(defaults.seed);
    expect(inputValue(wrapper, 'field-patience')).toBe('');
    expect(inputValue(wrapper, 'field-optimizer')).toBe(defaults.optimizer);
    expect(inputValue(wrapper, 'field-schedule')).toBe(defaults.schedule);
    expect((wrapper.get('[data-testid="field-augment"]').element as HTMLInputElement).checked).toBe(defaults.augment);
    expect((wrapper.get(`[data-testid="field-mode-${defaults.mode}"]`).element as HTMLInputElement).checked).toBe(true);
  });

  it('starts a run with the chosen settings and opens the Run screen', async () => {
    fake.handle('runs.start', () => ({ ok: true, value: { runId: '20261127-1200-resnet50', folder: '/runs/20261127-1200-resnet50' } }));
    useSession().testDir = '/data/test';
    const wrapper = await mountView();
    await wrapper.get('[data-testid="field-depth-50"]').setValue(true);
    await wrapper.get('[data-testid="field-epochs"]').setValue('3');
    await wrapper.get('[data-testid="field-mode-finetune"]').setValue(true);
    await wrapper.get('[data-testid="field-unfreeze"]').setValue('layer3');
    await wrapper.get('[data-testid="field-patience"]').setValue('2');
    await wrapper.get('[data-testid="start-run"]').trigger('click');
    await flushPromises();
    const [params] = fake.received['runs.start'] as { config: Record<string, unknown> }[];
    expect(params!.config).toMatchObject({ trainDir: '/data/train', testDir: '/data/test', depth: 50, epochs: 3, mode: 'finetune', unfreeze: 'layer3', patience: 2, weights: 'imagenet' });
    expect(runConfigSchema.safeParse(params!.config).success).toBe(true);
    const session = useSession();
    expect(session.runId).toBe('20261127-1200-resnet50');
    expect(session.view).toBe('run');
  });

  it('blocks Start with a message per invalid field', async () => {
    fake.handle('runs.start', () => ({ ok: true, value: { runId: 'never', folder: '/runs/never' } }));
    const wrapper = await mountView();
    await wrapper.get('[data-testid="field-epochs"]').setValue('0');
    await wrapper.get('[data-testid="field-lr"]').setValue('');
    expect(wrapper.get('[data-testid="error-epochs"]').text()).toBe('Epochs must be at least 1.');
    expect(wrapper.get('[data-testid="field-epochs"]').attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-testid="error-lr"]').text()).toBe('Learning rate must be a number.');
    await wrapper.get('[data-testid="start-run"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="start-blocked"]').text()).toContain('Epochs must be at least 1.');
    expect(fake.received['runs.start']).toBeUndefined();
    expect(useSession().view).toBe('data');
  });

  it('keeps Start disabled, with the reason beside it, while the scanned data cannot train', async () => {
    fake.handle('runs.start', () => ({ ok: true, value: { runId: 'never', folder: '/runs/never' } }));
    useSession().scan = splitParentScan();
    const wrapper = await mountView();
    expect(wrapper.get('[data-testid="start-run"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="start-blocked"]').text()).toContain('looks like the folder above a split');
    useSession().scan = cleanTrainScan();
    await flushPromises();
    expect(wrapper.get('[data-testid="start-run"]').attributes('disabled')).toBeUndefined();
    expect(wrapper.find('[data-testid="start-blocked"]').exists()).toBe(false);
  });

  it('keeps Start disabled while the chosen ImageNet weights are missing and cannot be downloaded; random initialisation frees it', async () => {
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [], offline: true });
    fake.handle('runs.start', () => ({ ok: true, value: { runId: 'never', folder: '/runs/never' } }));
    useSession().scan = cleanTrainScan();
    const wrapper = await mountView();
    expect(wrapper.get('[data-testid="start-run"]').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="start-blocked"]').text()).toContain('ResNet-18’s ImageNet weights are not on this computer and cannot be downloaded from here');
    await wrapper.get('[data-testid="weights-offline-random"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="start-run"]').attributes('disabled')).toBeUndefined();
    await wrapper.get('[data-testid="start-run"]').trigger('click');
    await flushPromises();
    expect((fake.received['runs.start'] as { config: { weights: string } }[])[0]!.config.weights).toBe('none');
  });

  it('lets a run download the missing weights when the server can be reached', async () => {
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [] });
    useSession().scan = cleanTrainScan();
    const wrapper = await mountView();
    expect(wrapper.get('[data-testid="start-run"]').attributes('disabled')).toBeUndefined();
    expect(wrapper.get('[data-testid="weights-missing"]').text()).toContain('The run downloads them from download.pytorch.org when it starts');
  });

  it('asks for a train folder first', async () => {
    fake.handle('runs.start', () => ({ ok: true, value: { runId: 'never', folder: '/runs/never' } }));
    useSession().trainDir = null;
    const wrapper = await mountView();
    expect(wrapper.get('[data-testid="error-trainDir"]').text()).toContain('Choose a train folder on the Data screen first.');
    expect(wrapper.get('[data-testid="start-run"]').attributes('disabled')).toBeDefined();
    await wrapper.get('[data-testid="start-run"]').trigger('click');
    expect(fake.received['runs.start']).toBeUndefined();
  });

  it('says which run keeps the engine busy and offers to open it', async () => {
    const message = 'The run 20261127-1100-resnet18 is still running; cancel it or wait for it to end before starting another.';
    fake.handle('runs.start', () => ({ ok: false, error: { code: 'BUSY', message } }));
    fake.listReply = {
      ok: true,
      value: {
        runs: [
          { runId: '20261127-1100-resnet18', folder: '/runs/a', status: 'running', createdAt: '2026-11-27T11:00:00.000Z', depth: 18, mode: 'linear', classes: ['a', 'b'], testAccuracy: null, name: null, note: null, hasCheckpoint: false },
        ],
      },
    };
    const wrapper = await mountView();
    await wrapper.get('[data-testid="start-run"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="start-error"]').text()).toContain(message);
    const open = wrapper.get('[data-testid="open-running-run"]');
    expect(open.text()).toBe('Open run 20261127-1100-resnet18');
    await open.trigger('click');
    expect(useSession().runId).toBe('20261127-1100-resnet18');
    expect(useSession().view).toBe('run');
  });

  it('takes the busy run from the refusal itself, not from its words', async () => {
    fake.handle('runs.start', () => ({ ok: false, error: { code: 'BUSY', message: 'Another run is still training.', runId: '20261127-1200-resnet50' } }));
    fake.listReply = { ok: true, value: { runs: [] } };
    const wrapper = await mountView();
    await wrapper.get('[data-testid="start-run"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="open-running-run"]').text()).toBe('Open run 20261127-1200-resnet50');
    expect(fake.calls.list).toBe(0);
  });

  it('offers fine-tuning without convolution gradients, saying it falls back to the slow cpu backend', async () => {
    engineIs({ backend: 'wasm', tfjsBackend: 'wasm', versions: {}, convGradients: false, skipped: [] });
    const wrapper = await mountView();
    expect(wrapper.get('[data-testid="field-mode-finetune"]').attributes('disabled')).toBeUndefined();
    expect(wrapper.find('[data-testid="field-unfreeze"]').exists()).toBe(false);
    await wrapper.get('[data-testid="field-mode-finetune"]').setValue(true);
    expect(wrapper.find('[data-testid="field-unfreeze"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="finetune-cpu-note"]').text()).toContain('Fine-tuning is slow on this computer');
    expect(wrapper.get('[data-testid="finetune-cpu-note"]').text()).not.toMatch(/backend|gradients|tensorflow/);
  });

  it('says nothing of the cpu backend when the native backend fine-tunes', async () => {
    engineIs({ backend: 'tensorflow', tfjsBackend: 'tensorflow', versions: {}, convGradients: true, skipped: [] });
    const wrapper = await mountView();
    await wrapper.get('[data-testid="field-mode-finetune"]').setValue(true);
    expect(wrapper.find('[data-testid="finetune-cpu-note"]').exists()).toBe(false);
  });

  it('notes that fine-tuning is slow on the cpu backend', async () => {
    engineIs({ backend: 'cpu', tfjsBackend: 'cpu', versions: {}, convGradients: true, skipped: [] });
    const wrapper = await mountView();
    expect(wrapper.find('[data-testid="finetune-cpu-note"]').exists()).toBe(false);
    await wrapper.get('[data-testid="field-mode-finetune"]').setValue(true);
    expect(wrapper.get('[data-testid="finetune-cpu-note"]').text()).toContain('slow');
    expect(wrapper.get('[data-testid="finetune-cpu-note"]').text()).not.toContain('no convolution gradients');
  });
});
