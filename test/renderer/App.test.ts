// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import App from '../../src-renderer/src/App.vue';
import type { EngineInfo, ModelInfo, PretrainedWeightsEntry, Reply, WorkbenchApi } from '../../src-main/common/contract';

const engine: EngineInfo = { backend: 'wasm', tfjsBackend: 'wasm', versions: {}, convGradients: false, skipped: [{ backend: 'tensorflow', reason: 'not installed' }] };
const resnet18: ModelInfo = { depth: 18, block: 'basic', layers: [2, 2, 2, 2], featureChannels: 512, parameters: 11_689_512, backboneParameters: 11_176_512, gflops: 1.81 };
const weights18 = { depth: 18, variant: 'IMAGENET1K_V1', present: true } as PretrainedWeightsEntry;

/** Calls this screen does not make. */
const unused = async (): Promise<Reply<never>> => ({ ok: false, error: { code: 'NOT_AVAILABLE', message: 'not used by this test' } });

function fakeApi(overrides: { engineInfo?: Reply<EngineInfo> } = {}) {
  const listeners = new Set<unknown>();
  const api: WorkbenchApi = {
    engine: { info: async () => overrides.engineInfo ?? { ok: true, value: engine } },
    models: { catalog: async () => ({ ok: true, value: { models: [resnet18] } }), export: unused, predict: unused },
    weights: { list: async () => ({ ok: true, value: { pretrained: [weights18], imported: [] } }), download: unused, import: unused },
    dataset: { scan: unused },
    runs: { start: unused, cancel: unused, get: unused, list: unused },
    on: (_event, listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { api, listeners };
}

afterEach(() => {
  delete window.workbench;
});

describe('App', () => {
  it('shows the active backend and the model catalog through window.workbench', async () => {
    window.workbench = fakeApi().api;
    const wrapper = mount(App);
    await flushPromises();
    expect(wrapper.text()).toContain('Backend wasm');
    expect(wrapper.text()).toContain('linear training only');
    expect(wrapper.text()).toContain('tensorflow: not installed');
    const row = wrapper.find('tbody tr').text();
    expect(row).toContain('ResNet-18');
    expect(row).toContain('11.7 M');
    expect(row).toContain('1.81');
    expect(row).toContain('IMAGENET1K_V1');
  });

  it('reports a failed call with its message and still shows the rest', async () => {
    window.workbench = fakeApi({ engineInfo: { ok: false, error: { code: 'BACKEND', message: 'No TensorFlow.js backend could be loaded' } } }).api;
    const wrapper = mount(App);
    await flushPromises();
    expect(wrapper.find('[role="alert"]').text()).toBe('No TensorFlow.js backend could be loaded');
    expect(wrapper.find('tbody tr').text()).toContain('ResNet-18');
  });

  it('says so when no engine is connected', async () => {
    const wrapper = mount(App);
    await flushPromises();
    expect(wrapper.find('[role="alert"]').text()).toContain('not connected');
  });

  it('unsubscribes from engine events when it goes away', async () => {
    const { api, listeners } = fakeApi();
    window.workbench = api;
    const wrapper = mount(App);
    await flushPromises();
    expect(listeners.size).toBe(1);
    wrapper.unmount();
    expect(listeners.size).toBe(0);
  });
});
