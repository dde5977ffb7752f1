// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import ClassCountChart from '../../../src-renderer/src/components/ClassCountChart.vue';
import { FakeChart } from './chartMock';

vi.mock('chart.js', async () => ({ ...(await import('./chartMock')).chartModule(), BarController: {}, BarElement: {}, CategoryScale: {} }));

type BarData = { labels: string[]; datasets: { label: string; data: number[] }[] };

beforeEach(() => {
  FakeChart.instances = [];
});

describe('ClassCountChart', () => {
  it('draws one horizontal bar series per split, updates in place and is destroyed on unmount', async () => {
    const wrapper = mount(ClassCountChart, { props: { classes: ['cat', 'dog'], train: [5, 7], test: [1, 2] } });
    expect(FakeChart.instances).toHaveLength(1);
    const chart = FakeChart.instances[0]!;
    const data = (): BarData => chart.data as unknown as BarData;
    expect(data().datasets.map((d) => [d.label, d.data])).toEqual([
      ['train', [5, 7]],
      ['test', [1, 2]],
    ]);
    expect(wrapper.get('canvas').attributes('aria-label')).toBe('Images per class. cat: 5 train, 1 test; dog: 7 train, 2 test.');

    await wrapper.setProps({ classes: ['cat', 'dog', 'owl'], train: [5, 7, 9], test: null });
    expect(FakeChart.instances).toHaveLength(1);
    expect(data().labels).toEqual(['cat', 'dog', 'owl']);
    expect(data().datasets.map((d) => d.label)).toEqual(['train']);
    expect(chart.updates).toHaveLength(1);

    wrapper.unmount();
    expect(chart.destroyed).toBe(true);
  });
});
