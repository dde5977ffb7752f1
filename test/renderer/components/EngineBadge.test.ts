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
  it('says where the work runs and what that means in words, the technical account behind Details', () => {
    const wrapper = mount(EngineBadge, { props: { info: wasm } });
    expect(wrapper.get('[data-testid="engine-device"]').text()).toBe('the CPU');
    expect(wrapper.get('[data-testid="engine-allows"]').text()).toBe('Linear training is fast; fine-tuning works but is slow on this computer.');
    // No backend names or gradients outside the details.
    const outside = wrapper.text().replace(wrapper.get('[data-testid="engine-details"] .details-box').text(), '');
    expect(outside).not.toMatch(/wasm|gradient|tensorflow/i);
    expect(wrapper.findAll('[data-testid="engine-line"]').map((li) => li.text())).toEqual([
      'Training: TensorFlow.js, wasm backend (fine-tuning on the cpu backend: this one has no convolution gradients)',
    ]);
    expect(wrapper.findAll('[data-testid="engine-skipped"] li').map((li) => li.text())).toEqual(['TensorFlow.js tensorflow-gpu: no CUDA device', 'TensorFlow.js tensorflow: not installed']);
    expect(wrapper.get('.versions').text()).toBe('tfjs 4.22.0');
  });

  it('names the device of the frozen network, and the GPU provider it could not load in the details', () => {
    const inference = { engine: 'onnxruntime', provider: 'cpu', threads: 2, version: '1.30.0', skipped: [{ choice: 'onnxruntime cuda', reason: 'its libraries are not installed' }] } as const;
    const wrapper = mount(EngineBadge, { props: { info: { ...wasm, skipped: [], inference: { ...inference, skipped: [...inference.skipped] } } } });
    expect(wrapper.get('[data-testid="engine-device"]').text()).toBe('the CPU (2 threads)');
    expect(wrapper.findAll('[data-testid="engine-line"]')[0]!.text()).toBe('Features, evaluations and predictions: ONNX Runtime 1.30.0 on CPU, 2 threads');
    expect(wrapper.get('[data-testid="engine-skipped"] li').text()).toBe('onnxruntime cuda: its libraries are not installed');
    const gpu = mount(EngineBadge, { props: { info: { ...wasm, skipped: [], inference: { ...inference, provider: 'cuda', skipped: [] } } } });
    expect(gpu.get('[data-testid="engine-device"]').text()).toBe('an NVIDIA GPU');
    expect(gpu.find('.backend.limited').exists()).toBe(false);
  });

  it('says both modes are fast on the GPU build', () => {
    const wrapper = mount(EngineBadge, { props: { info: { ...wasm, backend: 'tensorflow-gpu', convGradients: true, skipped: [] } } });
    expect(wrapper.get('[data-testid="engine-allows"]').text()).toBe('Both training modes are fast here.');
    expect(wrapper.find('[data-testid="engine-skipped"]').exists()).toBe(false);
  });

  it('tells starting from unavailable', () => {
    expect(mount(EngineBadge, { props: { info: null } }).text()).toBe('Starting the engine…');
    expect(mount(EngineBadge, { props: { info: null, error: 'No backend' } }).text()).toBe('Engine unavailable');
  });
});
