// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope } from 'vue';
import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../../src-main/common/contract';
import { useEngine } from '../../../src-renderer/src/composables/useEngine';
import { createFakeApi } from './fakeApi';

const wasm: EngineInfo = { backend: 'wasm', tfjsBackend: 'wasm', versions: {}, convGradients: false, skipped: [] };
const native: EngineInfo = { backend: 'tensorflow', tfjsBackend: 'tensorflow', versions: {}, convGradients: true, skipped: [] };

describe('useEngine', () => {
  it('asks for the backend, follows engine.ready, and unsubscribes with its scope', async () => {
    const fake = createFakeApi();
    fake.handle('engine.info', () => ({ ok: true, value: wasm }));
    const scope = effectScope();
    const engine = scope.run(() => useEngine(fake.api))!;
    await flushPromises();
    expect(engine.info.value?.backend).toBe('wasm');
    fake.emit('engine.ready', native);
    expect(engine.info.value?.convGradients).toBe(true);
    expect(fake.listenerCount()).toBe(1);
    scope.stop();
    expect(fake.listenerCount()).toBe(0);
  });

  it('keeps the failure until the engine reports in', async () => {
    const fake = createFakeApi();
    fake.handle('engine.info', () => ({ ok: false, error: { code: 'BACKEND', message: 'No TensorFlow.js backend could be loaded' } }));
    const engine = useEngine(fake.api);
    await flushPromises();
    expect(engine.error.value?.message).toBe('No TensorFlow.js backend could be loaded');
    expect(engine.info.value).toBeNull();
    fake.emit('engine.ready', wasm);
    expect(engine.error.value).toBeNull();
    engine.stop();
  });
});
