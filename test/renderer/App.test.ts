// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineInfo } from '../../src-main/common/contract';
import App from '../../src-renderer/src/App.vue';
import { resetSession, useSession } from '../../src-renderer/src/composables/useSession';
import { resetTrainForm } from '../../src-renderer/src/composables/useTrainForm';
import { createFakeApi, type FakeApi } from './composables/fakeApi';
import { pretrained, serveWeights } from './composables/weightsFixture';

vi.mock('chart.js', async () => ({ ...(await import('./components/chartMock')).chartModule(), BarController: {}, BarElement: {}, CategoryScale: {} }));

const wasm: EngineInfo = { backend: 'wasm', tfjsBackend: 'wasm', versions: {}, convGradients: false, skipped: [{ backend: 'tensorflow', reason: 'not installed' }] };

let fake: FakeApi;

beforeEach(() => {
  fake = createFakeApi();
  fake.handle('engine.info', () => ({ ok: true, value: wasm }));
  serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', true)], imported: [] });
  window.workbench = fake.api;
});

afterEach(() => {
  delete window.workbench;
  resetSession();
  resetTrainForm();
});

describe('App', () => {
  it('shows the active backend and what it allows, with the skipped backends', async () => {
    const wrapper = mount(App);
    await flushPromises();
    expect(wrapper.get('[data-testid="engine-device"]').text()).toBe('the CPU');
    expect(wrapper.get('[data-testid="engine-allows"]').text()).toContain('fine-tuning works but is slow on this computer');
    expect(wrapper.get('[data-testid="engine-skipped"]').text()).toContain('tensorflow: not installed');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
    // The desktop app's engine is always there: no connection banner.
    expect(wrapper.find('[data-testid="connection-banner"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('switches screens from the tabs and keeps the ones left alive', async () => {
    const wrapper = mount(App);
    await flushPromises();
    const tabs = wrapper.findAll('nav button');
    expect(tabs.map((tab) => tab.attributes('data-testid'))).toEqual(['nav-data', 'nav-train', 'nav-run', 'nav-export', 'nav-try', 'nav-history']);
    expect(wrapper.get('[data-testid="nav-data"]').attributes('aria-current')).toBe('page');
    expect(wrapper.find('[data-testid="data-view"]').exists()).toBe(true);

    await wrapper.get('[data-testid="nav-train"]').trigger('click');
    await flushPromises();
    expect(useSession().view).toBe('train');
    expect(wrapper.get('[data-testid="nav-train"]').attributes('aria-current')).toBe('page');
    expect(wrapper.get('[data-testid="nav-data"]').attributes('aria-current')).toBeUndefined();
    expect(wrapper.find('[data-testid="data-view"]').exists()).toBe(false);
    await wrapper.get('[data-testid="field-epochs"]').setValue('7');

    // A view may switch the screen itself.
    useSession().view = 'data';
    await flushPromises();
    expect(wrapper.find('[data-testid="data-view"]').exists()).toBe(true);
    await wrapper.get('[data-testid="nav-train"]').trigger('click');
    await flushPromises();
    // Kept alive: not set up again (the App's and the Train screen's one engine.info each).
    expect(fake.received['engine.info']).toHaveLength(2);
    expect((wrapper.get('[data-testid="field-epochs"]').element as HTMLInputElement).value).toBe('7');
    wrapper.unmount();
  });

  it('reports a failed engine call in the problems area', async () => {
    fake.handle('engine.info', () => ({ ok: false, error: { code: 'BACKEND', message: 'No TensorFlow.js backend could be loaded' } }));
    const wrapper = mount(App);
    await flushPromises();
    expect(wrapper.get('[data-testid="problems"]').attributes('role')).toBe('alert');
    expect(wrapper.get('[data-testid="problems"]').text()).toBe('No TensorFlow.js backend could be loaded');
    expect(wrapper.get('[data-testid="engine-badge"]').text()).toBe('Engine unavailable');
    // The engine reporting in later clears it.
    fake.emit('engine.ready', wasm);
    await flushPromises();
    expect(wrapper.find('[data-testid="problems"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('ends every engine subscription when it goes away', async () => {
    const wrapper = mount(App);
    await flushPromises();
    await wrapper.get('[data-testid="nav-train"]').trigger('click');
    await flushPromises();
    expect(fake.listenerCount()).toBeGreaterThan(0);
    wrapper.unmount();
    expect(fake.listenerCount()).toBe(0);
  });
});
