/**
 * A stand-in for chart.js' Chart (happy-dom has no canvas): records what each chart was made with,
 * its updates and whether it was destroyed. Use with
 * `vi.mock('chart.js', async () => (await import('./chartMock')).chartModule())`.
 */
export interface FakeChartDataset {
  label: string;
  data: { x: number; y: number }[];
  yAxisID?: string;
  borderDash?: number[];
}

export class FakeChart {
  static instances: FakeChart[] = [];
  static register(): void {}
  readonly data: { datasets: FakeChartDataset[] };
  readonly options: Record<string, unknown>;
  updates: (string | undefined)[] = [];
  destroyed = false;
  constructor(
    readonly canvas: unknown,
    config: { data: { datasets: FakeChartDataset[] }; options: Record<string, unknown> },
  ) {
    this.data = config.data;
    this.options = config.options;
    FakeChart.instances.push(this);
  }
  update(mode?: string): void {
    this.updates.push(mode);
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** The y values of one dataset, by label. */
  static ys(chart: FakeChart, label: string): number[] {
    const dataset = chart.data.datasets.find((d) => d.label === label);
    if (!dataset) throw new Error(`no dataset labelled ${label}; have ${chart.data.datasets.map((d) => d.label).join(', ')}`);
    return dataset.data.map((point) => point.y);
  }
}

/** The chart.js exports our components use. */
export function chartModule(): Record<string, unknown> {
  const element = {};
  return {
    Chart: FakeChart,
    Legend: element,
    LinearScale: element,
    LineController: element,
    LineElement: element,
    PointElement: element,
    Tooltip: element,
  };
}
