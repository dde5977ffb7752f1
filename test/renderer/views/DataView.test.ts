// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { resetTrainForm, useTrainForm } from '../../../src-renderer/src/composables/useTrainForm';
import DataView from '../../../src-renderer/src/views/DataView.vue';
import { troubledScan } from '../components/scanFixture';
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
    expect(useTrainForm().valSplit).toBe(0.3);

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

    await wrapper.get('[data-testid="test-dir-clear"]').trigger('click');
    expect(wrapper.find('[data-testid="scan-stale"]').exists()).toBe(true);

    await wrapper.get('[data-testid="continue-to-train"]').trigger('click');
    expect(session.view).toBe('train');
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
