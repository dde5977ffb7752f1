// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import PerClassTable from '../../../src-renderer/src/components/PerClassTable.vue';

const perClass = [
  { label: 'cat', precision: 0.875, recall: 0.7, f1: 0.7778, support: 10 },
  { label: 'dog', precision: 0.5, recall: 1, f1: 0.6667, support: 4 },
  { label: 'ant', precision: 1, recall: 0.9, f1: 0.9474, support: 20 },
];

function rows(wrapper: ReturnType<typeof mount>): string[][] {
  return wrapper.findAll('[data-testid="per-class-row"]').map((tr) => tr.findAll('th, td').map((cell) => cell.text()));
}

describe('PerClassTable', () => {
  it('shows precision, recall, F1 and support per class in the engine’s order, and the macro F1', () => {
    const wrapper = mount(PerClassTable, { props: { perClass, macroF1: 0.7973 } });
    expect(rows(wrapper)).toEqual([
      ['cat', '87.5%', '70.0%', '77.8%', '10'],
      ['dog', '50.0%', '100.0%', '66.7%', '4'],
      ['ant', '100.0%', '90.0%', '94.7%', '20'],
    ]);
    expect(wrapper.get('[data-testid="macro-f1"]').text()).toBe('79.7%');
    expect(wrapper.findAll('thead th').map((th) => th.text())).toEqual(['Class', 'Precision', 'Recall', 'F1', 'Support']);
  });

  it('sorts by a column, highest first, then reversed on a second click', async () => {
    const wrapper = mount(PerClassTable, { props: { perClass, macroF1: 0.8 } });
    await wrapper.get('[data-testid="sort-f1"]').trigger('click');
    expect(rows(wrapper).map((r) => r[0])).toEqual(['ant', 'cat', 'dog']);
    expect(wrapper.findAll('thead th')[3]!.attributes('aria-sort')).toBe('descending');
    await wrapper.get('[data-testid="sort-f1"]').trigger('click');
    expect(rows(wrapper).map((r) => r[0])).toEqual(['dog', 'cat', 'ant']);
    expect(wrapper.findAll('thead th')[3]!.attributes('aria-sort')).toBe('ascending');
    await wrapper.get('[data-testid="sort-label"]').trigger('click');
    expect(rows(wrapper).map((r) => r[0])).toEqual(['ant', 'cat', 'dog']);
    expect(wrapper.findAll('thead th')[3]!.attributes('aria-sort')).toBe('none');
  });
});
