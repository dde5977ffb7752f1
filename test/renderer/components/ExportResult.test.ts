// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ExportResult from '../../../src-renderer/src/components/ExportResult.vue';
import type { ExportOutcome } from '../../../src-renderer/src/composables/useExport';

const base: ExportOutcome = { format: 'onnx', out: '/out/m.onnx', state: 'waiting', path: null, card: null, error: null };

describe('ExportResult', () => {
  it('shows where a finished export and its card went', () => {
    const wrapper = mount(ExportResult, { props: { outcome: { ...base, state: 'done', path: '/out/m.onnx', card: '/out/m.onnx.md' } } });
    const item = wrapper.get('[data-testid="export-result"]');
    expect(item.attributes('data-format')).toBe('onnx');
    expect(item.attributes('data-state')).toBe('done');
    expect(item.text()).toContain('ONNX');
    expect(item.text()).toContain('Written');
    expect(item.text()).toContain('Model: /out/m.onnx');
    expect(item.text()).toContain('Card: /out/m.onnx.md');
    expect(item.find('[role="alert"]').exists()).toBe(false);
  });

  it('shows the engine’s error and points to the overwrite box when the file exists', () => {
    const error = { code: 'ALREADY_EXISTS' as const, message: '/out/m.pth already exists; pass --force to replace it, or choose another path.' };
    const wrapper = mount(ExportResult, { props: { outcome: { ...base, format: 'pth', state: 'failed', error } } });
    expect(wrapper.get('[role="alert"]').text()).toBe(error.message);
    expect(wrapper.text()).toContain('Tick “Overwrite existing files” to replace it');
  });

  it('gives no advice for an error it has none for, and shows the planned path while waiting', () => {
    const failed = mount(ExportResult, { props: { outcome: { ...base, state: 'failed', error: { code: 'INTERNAL', message: 'boom' } } } });
    expect(failed.findAll('p').map((p) => p.text())).toEqual(['boom']);
    const waiting = mount(ExportResult, { props: { outcome: { ...base, format: 'tfjs', out: '/out/m-tfjs' } } });
    expect(waiting.text()).toContain('Waiting');
    expect(waiting.text()).toContain('/out/m-tfjs');
  });
});
