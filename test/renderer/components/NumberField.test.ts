// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import NumberField from '../../../src-renderer/src/components/NumberField.vue';

describe('NumberField', () => {
  it('labels the input, ties the hint to it and hands back what is typed as a number', async () => {
    const wrapper = mount(NumberField, {
      props: { modelValue: 10, name: 'epochs', label: 'Epochs', step: '1', min: 1, max: 1000, hint: 'Passes over the data.' },
    });
    const input = wrapper.get('[data-testid="field-epochs"]');
    expect(wrapper.get('label').attributes('for')).toBe('input-epochs');
    expect(input.attributes('id')).toBe('input-epochs');
    expect([input.attributes('min'), input.attributes('max'), input.attributes('step')]).toEqual(['1', '1000', '1']);
    expect(input.attributes('aria-describedby')).toBe('hint-epochs');
    expect(wrapper.get('#hint-epochs').text()).toBe('Passes over the data.');
    expect(input.attributes('aria-invalid')).toBeUndefined();
    expect(wrapper.find('[data-testid="error-epochs"]').exists()).toBe(false);

    await input.setValue('25');
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual([25]);
  });

  it('shows its error and marks the input invalid; without a hint it describes nothing', () => {
    const wrapper = mount(NumberField, {
      props: { modelValue: 'x', name: 'momentum', label: 'Momentum', step: '0.01', error: 'Momentum must be a number.' },
    });
    const input = wrapper.get('[data-testid="field-momentum"]');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toBeUndefined();
    expect(wrapper.get('[data-testid="error-momentum"]').text()).toBe('Momentum must be a number.');
  });
});
