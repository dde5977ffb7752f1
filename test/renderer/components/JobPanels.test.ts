// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallResult } from '../../../src-main/common/contract';
import { resolveRunConfig } from '../../../src-main/common/runConfig';
import JobExportPanel from '../../../src-renderer/src/components/JobExportPanel.vue';
import JobImportPanel from '../../../src-renderer/src/components/JobImportPanel.vue';
import { resetSession } from '../../../src-renderer/src/composables/useSession';
import { createFakeApi, type FakeApi } from '../composables/fakeApi';

let fake: FakeApi;
const wrappers: VueWrapper[] = [];

const exported: CallResult<'jobs.export'> = {
  folder: '/jobs/job-run-a',
  id: 'job-1',
  files: ['train.py'],
  images: { train: 320, validation: 80, test: 100 },
  weights: { file: 'weights/resnet18.pth', source: 'imagenet:resnet18.pth', sha256: 'a'.repeat(64), bytes: 46_800_000 },
};

beforeEach(() => {
  resetSession();
  fake = createFakeApi();
  window.workbench = fake.api;
});
afterEach(() => {
  for (const wrapper of wrappers.splice(0)) wrapper.unmount();
  delete window.workbench;
});

async function setFolder(wrapper: VueWrapper, testid: string, folder: string): Promise<void> {
  const input = wrapper.get(`[data-testid="${testid}"] input`);
  await input.setValue(folder);
  await input.trigger('change');
}

describe('JobExportPanel', () => {
  it('writes the job for a run into the chosen folder and says what to do next, in plain words', async () => {
    fake.handle('jobs.export', () => ({ ok: true, value: exported }));
    const wrapper = mount(JobExportPanel, { props: { runId: 'run-a' } });
    wrappers.push(wrapper);
    await setFolder(wrapper, 'job-export-folder', '/jobs');
    expect(wrapper.get('#job-export-name-help').text()).toBe('Writes /jobs/job-run-a');
    await wrapper.get('[data-testid="job-export-write"]').trigger('click');
    await flushPromises();
    expect(fake.received['jobs.export']).toEqual([{ runId: 'run-a', out: '/jobs/job-run-a', force: false }]);
    const done = wrapper.get('[data-testid="job-export-done"]').text();
    expect(done).toContain('320 training, 80 validation and 100 test images');
    expect(done).toContain('launch.sh');
    expect(wrapper.text()).not.toMatch(/--[a-z]/);
  });

  it('sends the Train screen’s settings, says when they do not hold together, and shows the engine’s refusal', async () => {
    fake.handle('jobs.export', () => ({ ok: false, error: { code: 'ALREADY_EXISTS', message: '/jobs/job-resnet50 already holds a job; choose another folder, or replace the earlier job.' } }));
    const config = resolveRunConfig({ trainDir: '/data/train', depth: 50 });
    const blocked = mount(JobExportPanel, { props: { config: null } });
    wrappers.push(blocked);
    expect(blocked.find('[data-testid="job-export-blocked"]').exists()).toBe(true);
    const wrapper = mount(JobExportPanel, { props: { config } });
    wrappers.push(wrapper);
    await setFolder(wrapper, 'job-export-folder', '/jobs');
    await wrapper.get('[data-testid="job-export-write"]').trigger('click');
    await flushPromises();
    expect(fake.received['jobs.export']).toEqual([{ config, out: '/jobs/job-resnet50', force: false }]);
    expect(wrapper.get('[data-testid="job-export-error"]').text()).toContain('already holds a job');
  });
});

describe('JobImportPanel', () => {
  it('imports a folder, reports the run and tells History to refresh; a refusal is shown as the engine words it', async () => {
    fake.handle('jobs.import', ({ folder }: { folder: string }) =>
      folder === '/jobs/bad'
        ? { ok: false, error: { code: 'BAD_INPUT', message: 'Cannot import the job: line 3 of metrics.jsonl is not JSON. Nothing was imported.' } }
        : { ok: true, value: { runId: 'job-1', folder: '/runs/job-1', epochsRun: 2, validationAccuracy: 0.8, testAccuracy: 0.75, files: [] } },
    );
    const wrapper = mount(JobImportPanel);
    wrappers.push(wrapper);
    await setFolder(wrapper, 'job-import-folder', '/jobs/bad');
    await wrapper.get('[data-testid="job-import-start"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="job-import-error"]').text()).toContain('Nothing was imported');
    expect(wrapper.emitted('imported')).toBeUndefined();
    await setFolder(wrapper, 'job-import-folder', '/jobs/good');
    await wrapper.get('[data-testid="job-import-start"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="job-import-done"]').text()).toContain('test accuracy 75.0%');
    expect(wrapper.emitted('imported')).toEqual([['job-1']]);
  });
});
