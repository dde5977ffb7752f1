// @vitest-environment happy-dom
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallParamsInput, CallResult, DesktopDialogs } from '../../../src-main/common/contract';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import ExportView from '../../../src-renderer/src/views/ExportView.vue';
import { createFakeApi, runDetail, type FakeApi } from '../composables/fakeApi';
import { failed, finished, RUN_ID } from '../composables/runEvents.fixture';

type RunDetail = CallResult<'runs.get'>;

function detail(status: RunDetail['status'], events: RunDetail['events'] = []): RunDetail {
  return {
    ...runDetail(RUN_ID, status, events),
    config: { depth: 50, mode: 'linear', trainDir: '/data/Pets/train' } as RunDetail['config'],
    facts: { classes: ['cat', 'dog', 'fox'], weightsSource: 'resnet50.pth', weightsSha256: null, appVersion: '0.1.0', createdAt: '2026-11-27T10:00:00.000Z' },
  };
}

/** models.export writing every format (by name into /data/exports without a path), except those listed as already there. */
function exporting(fake: FakeApi, existing: string[] = [], card = (format: string) => `# ResNet-50 classifier\n\nExported as **${format}**.`): void {
  fake.handle('models.export', (params) => {
    const out = params.out ?? `/data/exports/${params.name}${params.format === 'tfjs' ? '-tfjs' : `.${params.format}`}`;
    if (existing.includes(params.format) && !params.force) {
      return { ok: false, error: { code: 'ALREADY_EXISTS', message: `'${out}' already exists.` } };
    }
    const cardPath = params.format === 'tfjs' ? `${out}/README.md` : `${out}.md`;
    const fileName = out.split('/').at(-1) ?? '';
    const downloads = params.out
      ? undefined
      : params.format === 'tfjs'
        ? [{ kind: 'model' as const, url: `/download/${'t'.repeat(32)}`, fileName: `${fileName}.zip` }]
        : [
            { kind: 'model' as const, url: `/download/${'m'.repeat(32)}`, fileName },
            { kind: 'card' as const, url: `/download/${'c'.repeat(32)}`, fileName: `${fileName}.md` },
          ];
    return { ok: true, value: { format: params.format, path: out, card: cardPath, cardText: card(params.format), ...(downloads ? { downloads } : {}) } };
  });
}

const mounted: { unmount: () => void }[] = [];

async function mountWithRun() {
  useSession().runId = RUN_ID;
  // Attached, so the submit button submits its form as in a browser.
  const wrapper = mount(ExportView, { attachTo: document.body });
  mounted.push(wrapper);
  await flushPromises();
  return wrapper;
}

beforeEach(() => {
  resetSession();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(2026, 11, 2, 10, 0));
});
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount();
  delete window.workbench;
  vi.useRealTimers();
});

const NAME = 'resnet50-pets-2026-12-02';

/** A finished run on the Export screen, its exports answered by `exporting` (a desktop app with `dialogs`). */
async function mountFinished(existing: string[] = [], dialogs?: DesktopDialogs) {
  const fake = createFakeApi();
  fake.getReply = { ok: true, value: detail('finished') };
  exporting(fake, existing);
  window.workbench = dialogs ? { ...fake.api, dialogs } : fake.api;
  return { fake, wrapper: await mountWithRun() };
}

async function clickExport(wrapper: VueWrapper): Promise<void> {
  await wrapper.get('[data-testid="export-run"]').trigger('click');
  await flushPromises();
}

describe('ExportView', () => {
  it('says no run is selected and offers History', async () => {
    const fake = createFakeApi();
    window.workbench = fake.api;
    const wrapper = mount(ExportView);
    await flushPromises();
    expect(wrapper.get('[data-testid="export-no-run"]').text()).toContain('No run selected');
    expect(wrapper.find('[data-testid="export-run"]').exists()).toBe(false);
    expect(fake.calls.get).toBe(0);
    await wrapper.get('[data-testid="export-open-history"]').trigger('click');
    expect(useSession().view).toBe('history');
  });

  it('shows the run and proposes resnet<depth>-<data set>-<date> in the exports folder', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: detail('finished') };
    window.workbench = fake.api;
    const wrapper = await mountWithRun();
    const summary = wrapper.get('[data-testid="export-run-summary"]').text();
    expect(summary).toContain('ResNet-50');
    expect(summary).toContain('3: cat, dog, fox');
    expect(wrapper.get('[data-testid="export-run-status"]').text()).toBe('finished');
    expect(wrapper.get<HTMLInputElement>('[data-testid="export-name"]').element.value).toBe(NAME);
    expect(wrapper.get<HTMLInputElement>('[data-testid="export-to-exports"]').element.checked).toBe(true);
    // No server path to pick unless another folder is wanted.
    expect(wrapper.find('[data-testid="export-folder-input"]').exists()).toBe(false);
    expect(wrapper.get('[aria-label="What will be saved"]').text()).toBe(`${NAME}.onnx`);
    expect(wrapper.get<HTMLInputElement>('[data-testid="export-format-onnx"]').element.checked).toBe(true);
    for (const format of ['tfjs', 'pth', 'safetensors']) expect(wrapper.get<HTMLInputElement>(`[data-testid="export-format-${format}"]`).element.checked).toBe(false);
    expect(wrapper.text()).toContain('ONNX Runtime');
    expect(wrapper.text()).toContain('TensorFlow.js');
    expect(wrapper.text()).toContain('PyTorch');
    expect(wrapper.text()).toContain('safetensors library');
    // A browser: the destination says the file comes to this computer. No control names anywhere.
    expect(wrapper.get('[data-testid="export-destination"]').text()).toContain('Download to this computer');
    expect(wrapper.text()).toContain('Replace the existing file?');
    expect(wrapper.text()).not.toMatch(/--force|Overwrite|imageSize|models\.export/);
  });

  it('exports into the exports folder by name and offers each result as a download (browser)', async () => {
    const { fake, wrapper } = await mountFinished();
    await wrapper.get('[data-testid="export-format-tfjs"]').setValue(true);
    expect(wrapper.text()).toContain('Replace the existing files?');
    await clickExport(wrapper);
    expect(fake.received['models.export']).toEqual([
      { runId: RUN_ID, format: 'tfjs', name: NAME, force: false },
      { runId: RUN_ID, format: 'onnx', name: NAME, force: false },
    ] satisfies CallParamsInput<'models.export'>[]);
    const [tfjs, onnx] = wrapper.findAll('[data-testid="export-result"]');
    expect(tfjs?.get('[data-testid="export-download"]').attributes('download')).toBe(`${NAME}-tfjs.zip`);
    expect(onnx?.get('[data-testid="export-download"]').attributes('href')).toBe(`/download/${'m'.repeat(32)}`);
    expect(onnx?.get('[data-testid="export-download-card"]').attributes('download')).toBe(`${NAME}.onnx.md`);
    expect(onnx?.text()).toContain(`Saved on the engine’s machine: /data/exports/${NAME}.onnx`);
  });

  it('exports each chosen format once, in order, to a chosen folder with the replace answer, and shows the results and the last card', async () => {
    const { fake, wrapper } = await mountFinished();
    await wrapper.get('[data-testid="export-format-tfjs"]').setValue(true);
    await wrapper.get('[data-testid="export-format-safetensors"]').setValue(true);
    await wrapper.get('[data-testid="export-to-folder"]').setValue(true);
    const folder = wrapper.get('[data-testid="export-folder-input"]');
    await folder.setValue('/exports');
    await folder.trigger('change');
    await wrapper.get('[data-testid="export-name"]').setValue('pets');
    await wrapper.get('[data-testid="export-force"]').setValue(true);
    expect(wrapper.text()).toContain('/exports/pets.onnx');
    await clickExport(wrapper);

    expect(fake.received['models.export']).toEqual([
      { runId: RUN_ID, format: 'tfjs', out: '/exports/pets-tfjs', force: true },
      { runId: RUN_ID, format: 'onnx', out: '/exports/pets.onnx', force: true },
      { runId: RUN_ID, format: 'safetensors', out: '/exports/pets.safetensors', force: true },
    ] satisfies CallParamsInput<'models.export'>[]);
    const results = wrapper.findAll('[data-testid="export-result"]');
    expect(results.map((r) => [r.attributes('data-format'), r.attributes('data-state')])).toEqual([
      ['tfjs', 'done'],
      ['onnx', 'done'],
      ['safetensors', 'done'],
    ]);
    expect(results[0]?.text()).toContain('Model card: /exports/pets-tfjs/README.md');
    const card = wrapper.get('[data-testid="model-card"]');
    expect(card.text()).toContain('Model card: /exports/pets.safetensors.md');
    expect(card.get('strong').text()).toBe('safetensors');
  });

  it('asks for a folder when “a folder” is chosen but none is given', async () => {
    const { fake, wrapper } = await mountFinished();
    await wrapper.get('[data-testid="export-to-folder"]').setValue(true);
    await clickExport(wrapper);
    expect(wrapper.get('[data-testid="export-problem"]').text()).toBe('Choose the folder to save in, or save in the exports folder.');
    expect(fake.received['models.export']).toBeUndefined();
  });

  it('offers “Show in folder” in the desktop app instead of a download', async () => {
    const shown: string[] = [];
    const { wrapper } = await mountFinished([], { pickPaths: async () => [], showInFolder: async (target) => void shown.push(target) });
    expect(wrapper.get('[data-testid="export-destination"]').text()).toContain('The exports folder');
    expect(wrapper.get('[data-testid="export-destination"]').text()).not.toContain('Download');
    // The desktop app's engine offers no downloads; this fake would only for a browser-mode name export, so choose a folder.
    await wrapper.get('[data-testid="export-to-folder"]').setValue(true);
    const folder = wrapper.get('[data-testid="export-folder-input"]');
    await folder.setValue('/home/ann/models');
    await folder.trigger('change');
    await clickExport(wrapper);
    await wrapper.get('[data-testid="export-show-in-folder"]').trigger('click');
    expect(shown).toEqual([`/home/ann/models/${NAME}.onnx`]);
    expect(wrapper.find('[data-testid="export-download"]').exists()).toBe(false);
  });

  it('shows each format’s error and asks the replace question when a file exists', async () => {
    const { fake, wrapper } = await mountFinished(['onnx']);
    await wrapper.get('[data-testid="export-format-pth"]').setValue(true);
    await clickExport(wrapper);
    expect((fake.received['models.export'] as CallParamsInput<'models.export'>[]).map((p) => [p.format, p.force])).toEqual([
      ['onnx', false],
      ['pth', false],
    ]);
    const [onnx, pth] = wrapper.findAll('[data-testid="export-result"]');
    expect(onnx?.attributes('data-state')).toBe('failed');
    expect(onnx?.get('[role="alert"]').text()).toBe(`'/data/exports/${NAME}.onnx' already exists.`);
    expect(onnx?.text()).toContain('Tick “Replace the existing files?” and export again');
    expect(pth?.attributes('data-state')).toBe('done');
    expect(wrapper.get('[data-testid="model-card"]').text()).toContain('pth');

    // Answering the question replaces it.
    await wrapper.get('[data-testid="export-force"]').setValue(true);
    await clickExport(wrapper);
    expect(wrapper.findAll('[data-testid="export-result"]').map((r) => r.attributes('data-state'))).toEqual(['done', 'done']);
  });

  it('draws a card holding HTML as text', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: detail('finished') };
    exporting(fake, [], () => '# Card\n\n<script>window.cardRan = true</script>\n\n<img src=x onerror="window.cardRan = true">');
    window.workbench = fake.api;
    const wrapper = await mountWithRun();
    await clickExport(wrapper);
    const card = wrapper.get('[data-testid="model-card"]');
    expect(card.find('script').exists()).toBe(false);
    expect(card.find('img').exists()).toBe(false);
    expect(card.text()).toContain('<script>window.cardRan = true</script>');
    expect((window as unknown as { cardRan?: boolean }).cardRan).toBeUndefined();
  });

  it('refuses a file name with a folder in it, without calling the engine', async () => {
    const { fake, wrapper } = await mountFinished();
    await wrapper.get('[data-testid="export-name"]').setValue('../escape');
    expect(wrapper.get('.field-error').text()).toContain('cannot contain /');
    expect(wrapper.get('[data-testid="export-name"]').attributes('aria-invalid')).toBe('true');
    await clickExport(wrapper);
    expect(wrapper.get('[data-testid="export-problem"]').text()).toContain('cannot contain /');
    expect(fake.received['models.export']).toBeUndefined();
  });

  it('does not offer export while the run trains, nor without a format', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: detail('running') };
    window.workbench = fake.api;
    const wrapper = await mountWithRun();
    expect(wrapper.get('[data-testid="export-note"]').text()).toContain('still training');
    expect(wrapper.get('[data-testid="export-run"]').attributes('disabled')).toBeDefined();

    // The run ends: the screen reads it again and offers the export.
    fake.getReply = { ok: true, value: detail('finished') };
    fake.emitRun(finished());
    await flushPromises();
    expect(wrapper.get('[data-testid="export-run-status"]').text()).toBe('finished');
    expect(wrapper.find('[data-testid="export-note"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="export-run"]').attributes('disabled')).toBeUndefined();

    await wrapper.get('[data-testid="export-format-onnx"]').setValue(false);
    expect(wrapper.get('[data-testid="export-run"]').attributes('disabled')).toBeDefined();
    expect(wrapper.text()).toContain('Choose at least one format.');
  });

  it('offers a cancelled run’s kept checkpoint and shows the engine’s error when there is none', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: true, value: detail('failed', [failed('OUT_OF_MEMORY', 'Out of memory')]) };
    fake.handle('models.export', () => ({ ok: false, error: { code: 'NOT_FOUND', message: `The run ${RUN_ID} has no checkpoint to export.` } }));
    window.workbench = fake.api;
    const wrapper = await mountWithRun();
    expect(wrapper.get('[data-testid="export-note"]').text()).toContain('recorded no checkpoint');
    const button = wrapper.get('[data-testid="export-run"]');
    expect(button.attributes('disabled')).toBeUndefined();
    await button.trigger('click');
    await flushPromises();
    const result = wrapper.get('[data-testid="export-result"]');
    expect(result.get('[role="alert"]').text()).toBe(`The run ${RUN_ID} has no checkpoint to export.`);
    expect(result.text()).toContain('This run kept no model to export.');
    expect(wrapper.find('[data-testid="model-card"]').exists()).toBe(false);
  });

  it('shows why a run cannot be read', async () => {
    const fake = createFakeApi();
    fake.getReply = { ok: false, error: { code: 'NOT_FOUND', message: `No run '${RUN_ID}' in the runs folder.` } };
    window.workbench = fake.api;
    const wrapper = await mountWithRun();
    expect(wrapper.get('[role="alert"]').text()).toContain(`No run '${RUN_ID}' in the runs folder.`);
    expect(wrapper.find('[data-testid="export-run"]').exists()).toBe(false);
  });
});
