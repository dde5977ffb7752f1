// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import MetricsChart from '../../../src-renderer/src/components/MetricsChart.vue';
import { decimateSeries, type MetricsDataset } from '../../../src-renderer/src/support/chartSeries';
import type { SeriesPoint } from '../../../src-renderer/src/support/runSeries';
import { FakeChart } from './chartMock';

vi.mock('chart.js', async () => (await import('./chartMock')).chartModule());

function line(label: string, ys: number[], extra: Partial<MetricsDataset> = {}): MetricsDataset {
  return { label, points: ys.map((y, i) => ({ x: i + 1, y })), colour: '#000', ...extra };
}

beforeEach(() => {
  FakeChart.instances = [];
});

describe('MetricsChart', () => {
  it('draws its datasets with axis titles and says how many points it has', () => {
    const wrapper = mount(MetricsChart, {
      props: { title: 'Loss per epoch', datasets: [line('train', [0.9, 0.5]), line('eval', [0.8])], xTitle: 'epoch', yTitle: 'loss' },
      attrs: { 'data-testid': 'chart-epoch-loss' },
    });
    expect(FakeChart.instances).toHaveLength(1);
    const chart = FakeChart.instances[0]!;
    expect(FakeChart.ys(chart, 'train')).toEqual([0.9, 0.5]);
    expect(FakeChart.ys(chart, 'eval')).toEqual([0.8]);
    const scales = chart.options.scales as Record<string, { title: { text: string } }>;
    expect(scales.x!.title.text).toBe('epoch');
    expect(scales.y!.title.text).toBe('loss');
    const figure = wrapper.get('[data-testid="chart-epoch-loss"]');
    expect(figure.attributes('data-points')).toBe('3');
    expect(wrapper.get('canvas').attributes('aria-label')).toContain('train: 2 points, latest 0.500');
    expect(wrapper.text()).toContain('Loss per epoch');
  });

  it('updates the same chart in place when points arrive, and destroys it on unmount', async () => {
    const points: SeriesPoint[] = [{ x: 1, y: 1 }];
    const wrapper = mount(MetricsChart, {
      props: { title: 'Batch loss', datasets: [{ label: 'loss', points, colour: '#000' }], xTitle: 'step', yTitle: 'loss' },
    });
    const chart = FakeChart.instances[0]!;
    const datasetObject = chart.data.datasets[0];
    points.push({ x: 2, y: 0.7 });
    await wrapper.setProps({ datasets: [{ label: 'loss', points, colour: '#000' }] });
    expect(FakeChart.instances).toHaveLength(1);
    expect(chart.data.datasets[0]).toBe(datasetObject);
    expect(FakeChart.ys(chart, 'loss')).toEqual([1, 0.7]);
    expect(chart.updates).toEqual(['none']);
    expect(wrapper.get('figure').attributes('data-points')).toBe('2');

    // A second series appears, then goes again.
    await wrapper.setProps({ datasets: [{ label: 'loss', points, colour: '#000' }, line('other', [3])] });
    expect(chart.data.datasets.map((d) => d.label)).toEqual(['loss', 'other']);
    await wrapper.setProps({ datasets: [{ label: 'loss', points, colour: '#000' }] });
    expect(chart.data.datasets.map((d) => d.label)).toEqual(['loss']);

    wrapper.unmount();
    expect(chart.destroyed).toBe(true);
  });

  it('decimates a long series before drawing but counts every point', () => {
    const ys = Array.from({ length: 5000 }, (_, i) => Math.sin(i / 50));
    const wrapper = mount(MetricsChart, { props: { title: 'Batch loss', datasets: [line('loss', ys)], xTitle: 'step', yTitle: 'loss', maxPoints: 200 } });
    const drawn = FakeChart.instances[0]!.data.datasets[0]!.data;
    expect(drawn.length).toBeLessThanOrEqual(200);
    expect(drawn.length).toBeGreaterThan(100);
    expect(wrapper.get('figure').attributes('data-points')).toBe('5000');
  });

  it('puts right-axis datasets on a second axis and shows percentages', () => {
    mount(MetricsChart, {
      props: { title: 'Compare', datasets: [line('acc', [0.5]), line('loss', [1], { axis: 'right', dashed: true })], xTitle: 'epoch', yTitle: 'accuracy', y2Title: 'loss', percent: true },
    });
    const chart = FakeChart.instances[0]!;
    expect(chart.data.datasets.map((d) => d.yAxisID)).toEqual(['y', 'y2']);
    expect(chart.data.datasets[1]!.borderDash).toEqual([6, 4]);
    const scales = chart.options.scales as Record<string, { title: { text: string }; ticks: { callback?: (v: number) => string } }>;
    expect(scales.y2!.title.text).toBe('loss');
    expect(scales.y!.ticks.callback?.(0.25)).toBe('25%');
  });
});

describe('decimateSeries', () => {
  const spiky = Array.from({ length: 1000 }, (_, i) => ({ x: i, y: i === 537 ? 50 : 1 }));

  it('keeps the ends and the extremes, in x order', () => {
    const kept = decimateSeries(spiky, 100);
    expect(kept.length).toBeLessThanOrEqual(100);
    expect(kept[0]).toEqual({ x: 0, y: 1 });
    expect(kept.at(-1)).toEqual({ x: 999, y: 1 });
    expect(kept.some((p) => p.y === 50)).toBe(true);
    const xs = kept.map((p) => p.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it('returns a short series as it is and refuses a silly limit', () => {
    const few = [{ x: 1, y: 2 }];
    expect(decimateSeries(few, 10)).toBe(few);
    expect(() => decimateSeries(spiky, 3)).toThrow(/at least 4/);
    expect(() => decimateSeries(spiky, 10.5)).toThrow(/integer/);
  });
});
