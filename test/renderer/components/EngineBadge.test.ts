// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../../src-main/common/contract';
import EngineBadge from '../../../src-renderer/src/components/EngineBadge.vue';

const wasm: EngineInfo = {
  backend: 'wasm',
  tfjsBackend: 'wasm',
  versions: { tfjs: '4.22.0' },
  convGradients: false,
  skipped: [
    { backend: 'tensorflow-gpu', reason: 'no CUDA device' },
    { backend: 'tensorflow', reason: 'not installed' },
  ],
};

describe('EngineBadge', () => {
  it('names the backend, says fine-tuning falls back to cpu without convolution gradients, and lists the skipped backends', () => {
    const wrapper = mount(EngineBadge, { props: { info: wasm } });
    expect(wrapper.get('[data-testid="engine-backend"]').text()).toBe('wasm');
    expect(wrapper.get('[data-testid="engine-allows"]').text()).toBe('fine-tuning falls back to the slow cpu backend (wasm has no convolution gradients)');
    const skipped = wrapper.get('[data-testid="engine-skipped"]');
    expect(skipped.get('summary').text()).toBe('2 faster options not loaded');
    expect(skipped.findAll('li').map((li) => li.text())).toEqual(['TensorFlow.js tensorflow-gpu: no CUDA device', 'TensorFlow.js tensorflow: not installed']);
    expect(wrapper.find('[data-testid="engine-inference"]').exists()).toBe(false);
  });

  it('names the engine of the frozen network and the GPU provider it could not load', () => {
    const inference = { engine: 'onnxruntime', provider: 'cpu', threads: 2, version: '1.30.0', skipped: [{ choice: 'onnxruntime cuda', reason: 'its libraries are not installed' }] } as const;
    const wrapper = mount(EngineBadge, { props: { info: { ...wasm, skipped: [], inference: { ...inference, skipped: [...inference.skipped] } } } });
    expect(wrapper.get('[data-testid="engine-inference"]').text()).toBe('ONNX Runtime · CPU, 2 threads');
    const skipped = wrapper.get('[data-testid="engine-skipped"]');
    expect(skipped.get('summary').text()).toBe('1 faster option not loaded');
    expect(skipped.get('li').text()).toBe('onnxruntime cuda: its libraries are not installed');
  });

  it('says fine-tuning is available on a backend with convolution gradients', () => {
    const wrapper = mount(EngineBadge, { props: { info: { ...wasm, backend: 'tensorflow', convGradients: true, skipped: [] } } });
    expect(wrapper.get('[data-testid="engine-allows"]').text()).toBe('fine-tuning available');
    expect(wrapper.find('[data-testid="engine-skipped"]').exists()).toBe(false);
  });

  it('tells starting from unavailable', () => {
    expect(mount(EngineBadge, { props: { info: null } }).text()).toBe('Starting the engine…');
    expect(mount(EngineBadge, { props: { info: null, error: 'No backend' } }).text()).toBe('Engine unavailable');
  });
});
