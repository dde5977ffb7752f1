/**
 * The life of one chart.js Chart on a component's canvas: made on mount, kept in a shallowRef (chart.js
 * objects must not be made deeply reactive), brought up to date in place when its source changes and
 * destroyed on unmount.
 */
import { Chart, type ChartConfiguration, type ChartType, type DefaultDataPoint } from 'chart.js';
import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref, type ShallowRef, type WatchSource } from 'vue';

export interface ChartLifecycle<TType extends ChartType, TData, TLabel> {
  /** The canvas to draw on (a template ref). */
  canvas: Readonly<Ref<HTMLCanvasElement | null>>;
  /** The configuration the chart is made with. */
  configure: () => ChartConfiguration<TType, TData, TLabel>;
  /** What the chart shows; `update` runs when it changes. */
  source: WatchSource;
  /** Brings the existing chart up to date (set its data, call its `update`). */
  update: (chart: Chart<TType, TData, TLabel>) => void;
}

export function useChart<TType extends ChartType, TData = DefaultDataPoint<TType>, TLabel = unknown>(
  lifecycle: ChartLifecycle<TType, TData, TLabel>,
): Readonly<ShallowRef<Chart<TType, TData, TLabel> | null>> {
  const chart = shallowRef<Chart<TType, TData, TLabel> | null>(null);

  onMounted(() => {
    if (lifecycle.canvas.value) chart.value = new Chart(lifecycle.canvas.value, lifecycle.configure());
  });

  watch(lifecycle.source, () => {
    if (chart.value) lifecycle.update(chart.value);
  });

  onBeforeUnmount(() => {
    chart.value?.destroy();
    chart.value = null;
  });

  return chart;
}
