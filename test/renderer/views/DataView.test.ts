// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { resetTrainForm, useTrainForm } from '../../../src-renderer/src/composables/useTrainForm';
import DataView from '../../../src-renderer/src/views/DataView.vue';
import { forgetPerFolder, rememberPerFolder, rememberScan } from '../../../src-renderer/src/composables/folderMemory';
import { cleanTrainScan, splitParentScan, troubledScan } from '../components/scanFixture';
import { createFakeApi, type FakeApi } from '../composables/fakeApi';

vi.mock('chart.js', async () => ({ ...(await import('../components/chartMock')).chartModule(), BarController: {}, BarElement: {}, CategoryScale: {} }));

let fake: FakeApi;

beforeEach(() => {
  fake = createFakeApi();
  fake.handle('files.browse', (params) => ({ ok: true, value: { path: params?.path ?? null, parent: null, roots: ['/data'], entries: [], truncated: false } }));
  window.workbench = fake.api;
});

afterEach(() => {
  delete window.workbench;
  resetSession();
  resetTrainForm();
});

describe('DataView', () => {
  it('scans the chosen folders, shows the report and continues to training', async () => {
    fake.handle('dataset.scan', () => ({ ok: true, value: troubledScan() }));
    const wrapper = mount(DataView);
    expect(wrapper.get('[data-testid="scan"]').attributes('disabled')).toBeDefined();
    await wrapper.get('[data-testid="train-dir-input"]').setValue('/data/train');
    // No test folder yet: a validation part of the train folder is held out, its fraction editable.
    expect(wrapper.get('[data-testid="val-split-notice"]').text()).toContain('held out for validation');
    await wrapper.get('[data-testid="data-val-split"]').setValue('0.3');
    // Kept as typed (a number field turned "0,3" into 3); the training form reads it.
    expect(useTrainForm().valSplit).toBe('0.3');

    await wrapper.get('[data-testid="test-dir-input"]').setValue('/data/test');
    expect(wrapper.find('[data-testid="val-split-notice"]').exists()).toBe(false);
    await wrapper.get('[data-testid="scan"]').trigger('click');
    await flushPromises();

    expect(fake.received['dataset.scan']).toEqual([{ train: '/data/train', test: '/data/test' }]);
    const session = useSession();
    expect(session.scan?.images).toBe(160);
    expect(wrapper.find('[data-testid="scan-report"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="total-train"]').text()).toBe('160');
    expect(wrapper.find('[data-testid="leakage-warning"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="imbalance-warning"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="scan-ready"]').text()).toBe('✓ Ready to train.');

    await wrapper.get('[data-testid="test-dir-clear"]').trigger('click');
    expect(wrapper.find('[data-testid="scan-stale"]').exists()).toBe(true);

    await wrapper.get('[data-testid="continue-to-train"]').trigger('click');
    expect(session.view).toBe('train');
  });

  it('with folder memory, does not call a remembered report of the chosen folders stale', async () => {
    fake.handle('dataset.scan', () => ({ ok: true, value: cleanTrainScan() }));
    localStorage.clear();
    rememberPerFolder();
    const session = useSession();
    session.trainDir = '/data/a/train';
    const wrapper = mount(DataView);
    await wrapper.get('[data-testid="scan"]').trigger('click');
    await flushPromises();
    // Other folders: not this report.
    session.trainDir = '/data/b/train';
    await flushPromises();
    expect(wrapper.find('[data-testid="scan-report"]').exists()).toBe(false);
    // Folders scanned before, elsewhere: their remembered report, not a stale one.
    rememberScan('/data/c/train', null, cleanTrainScan());
    session.trainDir = '/data/c/train';
    await flushPromises();
    expect(wrapper.find('[data-testid="scan-report"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="scan-stale"]').exists()).toBe(false);
    wrapper.unmount();
    forgetPerFolder();
    localStorage.clear();
  });

  it('does not continue from the parent of a split: it says why and offers its train and test folders', async () => {
    fake.handle('dataset.scan', (params) => ({ ok: true, value: params.train === '/data/fashion' ? splitParentScan() : cleanTrainScan() }));
    useSession().trainDir = '/data/fashion';
    const wrapper = mount(DataView);
    await wrapper.get('[data-testid="scan"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="scan-blocked"]').text()).toContain('looks like the folder above a split');
    expect(wrapper.get('[data-testid="continue-to-train"]').attributes('disabled')).toBeDefined();
    expect(wrapper.find('[data-testid="scan-ready"]').exists()).toBe(false);

    await wrapper.get('[data-testid="use-split-folders"]').trigger('click');
    await flushPromises();
    expect([useSession().trainDir, useSession().testDir]).toEqual(['/data/fashion/train', '/data/fashion/test']);
    expect(fake.received['dataset.scan']?.at(-1)).toEqual({ train: '/data/fashion/train', test: '/data/fashion/test' });
    expect(wrapper.find('[data-testid="scan-blocked"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="continue-to-train"]').attributes('disabled')).toBeUndefined();
  });

  it('shows the engine’s message when the scan fails', async () => {
    fake.handle('dataset.scan', () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'The train folder /data/none does not exist.' } }));
    useSession().trainDir = '/data/none';
    const wrapper = mount(DataView);
    await wrapper.get('[data-testid="scan"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="scan-error"]').text()).toBe('The scan failed: The train folder /data/none does not exist.');
    expect(wrapper.find('[data-testid="scan-report"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="continue-to-train"]').exists()).toBe(false);
  });
});
