// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import ScanReport from '../../../src-renderer/src/components/ScanReport.vue';
import { createFakeApi } from '../composables/fakeApi';
import { FakeChart } from './chartMock';
import { cleanTrainScan, troubledScan } from './scanFixture';

vi.mock('chart.js', async () => ({ ...(await import('./chartMock')).chartModule(), BarController: {}, BarElement: {}, CategoryScale: {} }));

beforeEach(() => {
  FakeChart.instances = [];
  const fake = createFakeApi();
  // Thumbnails are ClassThumbnails' business; here every listing is empty.
  fake.handle('files.browse', (params) => ({ ok: true, value: { path: params?.path ?? null, parent: null, roots: ['/data'], entries: [], truncated: false } }));
  window.workbench = fake.api;
});

afterEach(() => {
  delete window.workbench;
});

describe('ScanReport', () => {
  it('shows totals and a row and a bar per class, without warnings for a clean folder', async () => {
    const wrapper = mount(ScanReport, { props: { scan: cleanTrainScan() } });
    await flushPromises();
    expect(wrapper.get('[data-testid="total-classes"]').text()).toBe('2');
    expect(wrapper.get('[data-testid="total-train"]').text()).toBe('78');
    expect(wrapper.find('[data-testid="total-test"]').exists()).toBe(false);
    expect(wrapper.get('[data-class="dog"][data-testid="class-row"]').text()).toContain('38');
    expect(wrapper.find('[data-testid="leakage-warning"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="imbalance-warning"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="issue-group"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="scan-clean"]').exists()).toBe(true);

    const chart = FakeChart.instances[0]!;
    const data = chart.data as unknown as { labels: string[]; datasets: { label: string; data: number[] }[] };
    expect(data.labels).toEqual(['cat', 'dog']);
    expect(data.datasets.map((d) => [d.label, d.data])).toEqual([['train', [40, 38]]]);
    expect(chart.options.indexAxis).toBe('y');
  });

  it('warns of leakage, imbalance and one-split classes, and groups issues by reason', async () => {
    const wrapper = mount(ScanReport, { props: { scan: troubledScan() } });
    await flushPromises();
    const leakage = wrapper.get('[data-testid="leakage-warning"]');
    expect(leakage.attributes('role')).toBe('alert');
    expect(leakage.text()).toContain('1 image is in both the train and the test folder');
    expect(leakage.text()).toContain('/data/test/cat/c.jpg');

    expect(wrapper.get('[data-testid="imbalance-warning"]').text()).toContain('cat has 120 images, bird 10 (12.0×)');
    const mismatch = wrapper.get('[data-testid="split-mismatch-warning"]').text();
    expect(mismatch).toContain('Only in the train folder: bird');
    expect(mismatch).toContain('Only in the test folder: fish');

    const groups = wrapper.findAll('[data-testid="issue-group"]');
    expect(groups.map((g) => [g.attributes('data-reason'), g.get('summary').text()])).toEqual([
      ['truncated', 'Cut-off images (the file ends early) — 2 Left out. They were probably copied or downloaded only in part: copy them again.'],
      ['outside-class-folder', 'Files outside every class folder — 1 Left out: a file directly in the train folder has no class. Move it into its class folder.'],
    ]);
    // No internal code is shown to the user, only kept for programs.
    expect(wrapper.text()).not.toMatch(/outside-class-folder|truncated —/);
    expect(groups[0]!.text()).toContain('/data/train/cat/b.jpg: JPEG data ends early (12 bytes)');
    expect(wrapper.get('[data-testid="warning-group"]').attributes('data-reason')).toBe('extension-mismatch');
    expect(wrapper.find('[data-testid="scan-clean"]').exists()).toBe(false);

    // Classes of either split get a row; the test column and series follow the train order.
    expect(wrapper.findAll('[data-testid="class-row"]').map((r) => r.attributes('data-class'))).toEqual(['cat', 'dog', 'bird', 'fish']);
    expect(wrapper.get('[data-class="cat"][data-testid="class-row"]').findAll('td').map((td) => td.text())).toEqual(['120', '2', '20']);
    expect(wrapper.get('[data-testid="total-test"]').text()).toBe('35');
    expect(wrapper.get('[data-testid="total-unusable"]').text()).toBe('3');
    const data = FakeChart.instances[0]!.data as unknown as { datasets: { label: string; data: number[] }[] };
    expect(data.datasets.map((d) => [d.label, d.data])).toEqual([
      ['train', [120, 30, 10, 0]],
      ['test', [20, 10, 0, 5]],
    ]);
  });

  it('does not warn of a mild imbalance', async () => {
    const scan = cleanTrainScan();
    scan.imbalance = { largest: { name: 'cat', images: 40 }, smallest: { name: 'dog', images: 20 }, ratio: 2 };
    const wrapper = mount(ScanReport, { props: { scan } });
    await flushPromises();
    expect(wrapper.find('[data-testid="imbalance-warning"]').exists()).toBe(false);
  });
});
