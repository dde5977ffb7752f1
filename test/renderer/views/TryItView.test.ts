// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallParamsInput, FilePrediction } from '../../../src-main/common/contract';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { MAX_UPLOAD_BYTES } from '../../../src-renderer/src/support/fileEncoding';
import TryItView from '../../../src-renderer/src/views/TryItView.vue';
import { createFakeApi, type FakeApi } from '../composables/fakeApi';
import { runSummary } from '../composables/runSummary.fixture';

type ClassifyParams = CallParamsInput<'models.classify'>;

function png(name: string, bytes: number[] = [1, 2, 3]): File {
  return new File([new Uint8Array(bytes)], name, { type: 'image/png' });
}

/** models.classify: 'cat' for images, an error for names starting with 'notes'. */
function classifying(fake: FakeApi): void {
  fake.handle('models.classify', (params) => ({
    ok: true,
    value: {
      labels: ['cat', 'dog'],
      predictions: params.images.map((img): FilePrediction =>
        img.name.startsWith('notes')
          ? { file: img.name, error: { code: 'BAD_INPUT', message: `${img.name}: the content is not an image this engine can decode` } }
          : {
              file: img.name,
              top: [
                { index: 0, label: 'cat', probability: 0.8 },
                { index: 1, label: 'dog', probability: 0.2 },
              ],
            },
      ),
    },
  }));
}

const mounted: { unmount: () => void }[] = [];

async function mountView(fake: FakeApi) {
  window.workbench = fake.api;
  const wrapper = mount(TryItView, { attachTo: document.body });
  mounted.push(wrapper);
  await flushPromises();
  return wrapper;
}

async function drop(wrapper: Awaited<ReturnType<typeof mountView>>, files: File[]): Promise<void> {
  await wrapper.get('[data-testid="try-drop"]').trigger('drop', { dataTransfer: { files } });
  await flushPromises();
}

beforeEach(() => resetSession());
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount();
  delete window.workbench;
});

describe('TryItView', () => {
  it('says no run is selected, offers History, and sends nothing for a drop', async () => {
    const fake = createFakeApi();
    classifying(fake);
    const wrapper = await mountView(fake);
    expect(wrapper.get('[data-testid="try-no-run"]').text()).toContain('No run selected');
    await drop(wrapper, [png('cat.png')]);
    expect(wrapper.get('[data-testid="try-problem"]').text()).toBe('Choose a run to try first.');
    expect(fake.received['models.classify']).toBeUndefined();
    expect(wrapper.find('[data-testid="prediction"]').exists()).toBe(false);
    await wrapper.get('[data-testid="try-open-history"]').trigger('click');
    expect(useSession().view).toBe('history');
  });

  it('lists the finished runs to choose from and makes the choice the window’s run', async () => {
    const fake = createFakeApi();
    fake.listReply = { ok: true, value: { runs: [runSummary('r-running', 'running'), runSummary('r-done', 'finished'), runSummary('r-failed', 'failed')] } };
    const wrapper = await mountView(fake);
    const select = wrapper.get<HTMLSelectElement>('[data-testid="try-run"]');
    expect(select.findAll('option').map((option) => option.attributes('value'))).toEqual(['', 'r-done']);
    expect(select.text()).toContain('r-done — ResNet-18, 2 classes, 90.0%');
    await select.setValue('r-done');
    expect(useSession().runId).toBe('r-done');
    expect(wrapper.find('[data-testid="try-no-run"]').exists()).toBe(false);
  });

  it('sends the dropped files’ exact base64 to the session’s run and shows each top-k, preview and error', async () => {
    const fake = createFakeApi();
    classifying(fake);
    useSession().runId = 'r-done';
    const wrapper = await mountView(fake);
    await drop(wrapper, [png('tabby.png', [0x66, 0x6f, 0x6f]), png('notes.png', [0x0a])]);
    expect(fake.received['models.classify']).toEqual([
      { model: 'r-done', topK: 5, images: [{ name: 'tabby.png', data: 'Zm9v' }, { name: 'notes.png', data: 'Cg==' }] },
    ] satisfies ClassifyParams[]);
    const tabby = wrapper.get('[data-testid="prediction"][data-file="tabby.png"]');
    expect(tabby.get('img').attributes('src')).toBe('data:image/png;base64,Zm9v');
    expect(tabby.findAll('.class-row').map((row) => [row.get('.label').text(), row.get('.probability').text()])).toEqual([
      ['cat', '80.0%'],
      ['dog', '20.0%'],
    ]);
    const notes = wrapper.get('[data-testid="prediction"][data-file="notes.png"]');
    expect(notes.get('[data-testid="prediction-error"]').text()).toBe('notes.png: the content is not an image this engine can decode');

    await wrapper.get('[data-testid="try-clear"]').trigger('click');
    expect(wrapper.find('[data-testid="prediction"]').exists()).toBe(false);
  });

  it('sends a large choice through the file input in batches of 32', async () => {
    const fake = createFakeApi();
    classifying(fake);
    useSession().runId = 'r-done';
    const wrapper = await mountView(fake);
    const input = wrapper.get<HTMLInputElement>('[data-testid="try-file-input"]');
    const files = Array.from({ length: 40 }, (_, i) => png(`img-${i}.png`));
    Object.defineProperty(input.element, 'files', { value: files, configurable: true });
    await input.trigger('change');
    await flushPromises();
    const calls = fake.received['models.classify'] as ClassifyParams[];
    expect(calls.map((call) => call.images.length)).toEqual([32, 8]);
    expect(wrapper.findAll('[data-testid="prediction"][data-state="done"]')).toHaveLength(40);
  });

  it('refuses a file over 20 MB with a clear message, without calling the engine', async () => {
    const fake = createFakeApi();
    classifying(fake);
    useSession().runId = 'r-done';
    const wrapper = await mountView(fake);
    const huge = png('scan.png');
    Object.defineProperty(huge, 'size', { value: MAX_UPLOAD_BYTES + 5_000_000 });
    await drop(wrapper, [huge]);
    expect(fake.received['models.classify']).toBeUndefined();
    const item = wrapper.get('[data-testid="prediction"][data-file="scan.png"]');
    expect(item.attributes('data-state')).toBe('refused');
    expect(item.get('[data-testid="prediction-error"]').text()).toBe(
      "scan.png is 25.0 MB; images larger than 20.0 MB cannot be sent to the engine. Make a smaller copy, or choose it on the engine's machine.",
    );
  });

  it('classifies an image chosen on the engine’s machine by its path', async () => {
    const fake = createFakeApi();
    fake.handle('models.predict', (params) => ({
      ok: true,
      value: { labels: ['cat', 'dog'], predictions: params.files.map((file) => ({ file, top: [{ index: 1, label: 'dog', probability: 0.7 }] })) },
    }));
    fake.handle('images.thumbnails', () => ({ ok: false, error: { code: 'NOT_AVAILABLE', message: 'no previews' } }));
    useSession().runId = 'r-done';
    const wrapper = await mountView(fake);
    expect(wrapper.get('[data-testid="try-engine-classify"]').attributes('disabled')).toBeDefined();
    const path = wrapper.get('[data-testid="try-engine-file-input"]');
    // Typing a path commits it as the picker's change event does (happy-dom sends one with setValue).
    await path.setValue('/data/test/dog/rex.jpg');
    await flushPromises();
    expect(fake.received['models.predict']).toEqual([{ model: 'r-done', files: ['/data/test/dog/rex.jpg'], topK: 5 }]);
    const item = wrapper.get('[data-testid="prediction"][data-file="rex.jpg"]');
    expect(item.text()).toContain('dog');
    expect(item.text()).toContain('70.0%');
    expect(item.text()).toContain('on the engine’s machine');

    // The same image again, on request.
    await wrapper.get('[data-testid="try-engine-classify"]').trigger('click');
    await flushPromises();
    expect(fake.received['models.predict']).toHaveLength(2);
    expect(wrapper.findAll('[data-testid="prediction"][data-file="rex.jpg"]')).toHaveLength(2);
  });
});
