// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ConfusionMatrix from '../../../src-renderer/src/components/ConfusionMatrix.vue';
import { confusionCellColours } from '../../../src-renderer/src/support/confusionColours';

const labels = ['cat', 'dog', 'fox'];
const matrix = [
  [7, 1, 0],
  [1, 6, 1],
  [0, 2, 6],
];

function cell(wrapper: ReturnType<typeof mount>, actual: number, predicted: number) {
  return wrapper.get(`[data-testid="cm-cell"][data-actual="${actual}"][data-predicted="${predicted}"]`);
}

describe('ConfusionMatrix', () => {
  it('lays out actual classes as rows and predicted classes as columns', () => {
    const wrapper = mount(ConfusionMatrix, { props: { labels, matrix } });
    expect(wrapper.findAll('thead th[scope="col"]').slice(1).map((th) => th.text())).toEqual(labels);
    expect(wrapper.findAll('tbody th[scope="row"]').map((th) => th.text())).toEqual(labels);
    expect(wrapper.findAll('[data-testid="cm-cell"]')).toHaveLength(9);
    // Row "fox", column "dog": two foxes called dogs.
    expect(wrapper.findAll('tbody tr')[2]!.findAll('button')[1]!.text()).toContain('2');
  });

  it('shows counts with row-normalised percentages and colours, and names each cell for screen readers', () => {
    const wrapper = mount(ConfusionMatrix, { props: { labels, matrix } });
    const dogAsFox = cell(wrapper, 1, 2);
    expect(dogAsFox.get('.count').text()).toBe('1');
    expect(dogAsFox.get('.share').text()).toBe('13%');
    expect(dogAsFox.attributes('aria-label')).toMatch(/^1 \d+%: 1 image of dog predicted as fox$/);
    expect(cell(wrapper, 0, 0).attributes('aria-label')).toMatch(/^7 \d+%: 7 images of cat predicted as cat$/);
    expect(cell(wrapper, 0, 0).get('.share').text()).toBe('88%');
    // The colour follows the row share, not the count: 7 of 8 cats is darker than 1 of 8 dogs.
    const style = cell(wrapper, 0, 0).attributes('style');
    const colours = confusionCellColours(7 / 8);
    expect(style).toBe(`background: ${colours.background}; color: ${colours.text};`);
    expect(cell(wrapper, 1, 2).attributes('style')).toContain(confusionCellColours(1 / 8).background);
  });

  it('emits the cell’s class indices when a cell is chosen; an empty cell cannot be chosen', async () => {
    const wrapper = mount(ConfusionMatrix, { props: { labels, matrix } });
    await cell(wrapper, 2, 1).trigger('click');
    expect(wrapper.emitted('select')).toEqual([[{ actual: 2, predicted: 1 }]]);
    expect(cell(wrapper, 0, 2).attributes('disabled')).toBeDefined();
  });

  it('keeps a row without images at 0% rather than dividing by zero', () => {
    const wrapper = mount(ConfusionMatrix, { props: { labels: ['a', 'b'], matrix: [[0, 0], [3, 1]] } });
    expect(cell(wrapper, 0, 0).get('.share').text()).toBe('0%');
    expect(cell(wrapper, 1, 0).get('.share').text()).toBe('75%');
  });
});
