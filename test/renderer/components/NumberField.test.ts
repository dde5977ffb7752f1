// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import NumberField from '../../../src-renderer/src/components/NumberField.vue';

describe('NumberField', () => {
  it('labels the input, ties the hint to it and hands back the text exactly as typed', async () => {
    const wrapper = mount(NumberField, {
      props: { modelValue: 10, name: 'epochs', label: 'Epochs', hint: 'Passes over the data.' },
    });
    const input = wrapper.get('[data-testid="field-epochs"]');
    expect(wrapper.get('label').attributes('for')).toBe('input-epochs');
    expect(input.attributes('id')).toBe('input-epochs');
    expect((input.element as HTMLInputElement).value).toBe('10');
    expect([input.attributes('type'), input.attributes('inputmode')]).toEqual(['text', 'decimal']);
    expect(input.attributes('aria-describedby')).toBe('hint-epochs');
    expect(wrapper.get('#hint-epochs').text()).toBe('Passes over the data.');
    expect(input.attributes('aria-invalid')).toBeUndefined();
    expect(wrapper.find('[data-testid="error-epochs"]').exists()).toBe(false);

    await input.setValue('25');
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual(['25']);
    // Nothing is dropped or guessed: a number input turned "0,001" into 1 as it was typed.
    await input.setValue('0,001');
    expect(wrapper.emitted('update:modelValue')?.at(-1)).toEqual(['0,001']);
  });

  it('shows its error and marks the input invalid; without a hint it describes nothing', () => {
    const wrapper = mount(NumberField, {
      props: { modelValue: 'x', name: 'momentum', label: 'Momentum', error: 'Momentum must be a number.' },
    });
    const input = wrapper.get('[data-testid="field-momentum"]');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toBeUndefined();
    expect(wrapper.get('[data-testid="error-momentum"]').text()).toBe('Momentum must be a number.');
  });
});
