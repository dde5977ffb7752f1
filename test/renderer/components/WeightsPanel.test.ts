// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallResult, PickPathsOptions, Reply, WorkbenchApi } from '../../../src-main/common/contract';
import type { ResNetDepth } from '../../../src-main/common/resnetSpec';
import WeightsPanel from '../../../src-renderer/src/components/WeightsPanel.vue';
import { useWeights, type WeightsVariant } from '../../../src-renderer/src/composables/useWeights';
import { createFakeApi, type FakeApi } from '../composables/fakeApi';
import { importedEntry, pretrained, serveWeights } from '../composables/weightsFixture';

afterEach(() => {
  delete window.workbench;
});

async function mountPanel(fake: FakeApi, props: { depth?: ResNetDepth; weights?: string; variant?: WeightsVariant } = {}) {
  window.workbench = fake.api;
  const store = useWeights(fake.api);
  const wrapper = mount(WeightsPanel, {
    props: {
      depth: props.depth ?? 18,
      store,
      weights: props.weights ?? 'imagenet',
      variant: props.variant ?? 'IMAGENET1K_V1',
      'onUpdate:weights': (value: string) => void wrapper.setProps({ weights: value }),
      'onUpdate:variant': (value: WeightsVariant) => void wrapper.setProps({ variant: value }),
    },
  });
  await flushPromises();
  return { wrapper, store };
}

describe('WeightsPanel', () => {
  it('downloads the missing ImageNet weights with a progress bar, then says they are present', async () => {
    const fake = createFakeApi();
    const folder = { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [] };
    serveWeights(fake, folder);
    let finish: (reply: Reply<CallResult<'weights.download'>>) => void = () => {};
    fake.handle('weights.download', () => new Promise((resolve) => (finish = resolve)));
    const { wrapper, store } = await mountPanel(fake);
    expect(wrapper.get('[data-testid="weights-missing"]').text()).toContain(
      'ResNet-18’s ImageNet weights (resnet18-f37072fd.pth) are not on this computer yet. The run downloads them from download.pytorch.org when it starts',
    );
    expect(fake.received['weights.reachable']).toEqual([{ depth: 18, variant: 'IMAGENET1K_V1' }]);

    await wrapper.get('[data-testid="weights-download"]').trigger('click');
    expect(wrapper.get('[data-testid="weights-progress-text"]').text()).toBe('Connecting…');
    fake.emit('weights.progress', { depth: 18, variant: 'IMAGENET1K_V1', bytes: 23_415_285, total: 46_830_570, bytesPerSecond: 2_500_000 });
    await flushPromises();
    expect(wrapper.get('[data-testid="weights-progress"]').element.getAttribute('value')).toBe('0.5');
    expect(wrapper.get('[data-testid="weights-progress-text"]').text()).toBe('23.4 MB of 46.8 MB (50%) · 2.5 MB/s');
    expect(wrapper.get('[data-testid="weights-download"]').attributes('disabled')).toBeDefined();

    folder.pretrained = [pretrained(18, 'IMAGENET1K_V1', true)];
    finish({ ok: true, value: { path: '/weights/resnet18-f37072fd.pth', downloaded: true } });
    await flushPromises();
    expect(wrapper.find('[data-testid="weights-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="weights-present"]').text()).toContain('ResNet18_Weights.IMAGENET1K_V1 is in the weights folder (46.8 MB)');
    store.stop();
  });

  it('says the weights are bundled with the app when the installer carries them, with no download offered', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', true, true)], imported: [] });
    const { wrapper, store } = await mountPanel(fake);
    expect(wrapper.get('[data-testid="weights-present"]').text()).toContain('ResNet18_Weights.IMAGENET1K_V1 is bundled with the app, no download needed (46.8 MB)');
    expect(wrapper.find('[data-testid="weights-download"]').exists()).toBe(false);
    store.stop();
  });

  it('offline, says so before Start and offers an import and random initialisation, one click each, for the depth shown', async () => {
    const fake = createFakeApi();
    const folder = { pretrained: [pretrained(18, 'IMAGENET1K_V1', false), pretrained(50, 'IMAGENET1K_V1', false)], imported: [], offline: true };
    serveWeights(fake, folder);
    fake.handle('weights.import', (params) => {
      folder.pretrained = [pretrained(18, 'IMAGENET1K_V1', false), pretrained(50, 'IMAGENET1K_V1', true)];
      return {
      ok: true,
      value: { kind: 'pretrained', path: '/weights/resnet50-f37072fd.pth', source: params.file, depth: 50, numClasses: 1000, sha256: 'ef'.repeat(32), bytes: 1000, alreadyPresent: false, torchvisionName: 'ResNet50_Weights.IMAGENET1K_V1' },
      };
    });
    const pickPaths = vi.fn(async (_options: PickPathsOptions) => ['/media/usb/resnet50-f37072fd.pth']);
    const { wrapper } = await mountPanel({ ...fake, api: { ...fake.api, dialogs: { pickPaths, showInFolder: async () => undefined } } });
    const offline = wrapper.get('[data-testid="weights-offline"]').text();
    expect(offline).toContain('ResNet-18’s ImageNet weights are not on this computer, and they cannot be downloaded from here.');
    expect(offline).toContain('This computer cannot reach download.pytorch.org');
    expect(offline).toContain('download resnet18-f37072fd.pth from https://download.pytorch.org/models/resnet18-f37072fd.pth');
    expect(offline).not.toMatch(/ENOTFOUND|resnet-workbench|weights import/);
    expect(wrapper.find('[data-testid="weights-download"]').exists()).toBe(false);

    // The message follows the depth.
    await wrapper.setProps({ depth: 50 });
    await flushPromises();
    expect(fake.received['weights.reachable']).toEqual([
      { depth: 18, variant: 'IMAGENET1K_V1' },
      { depth: 50, variant: 'IMAGENET1K_V1' },
    ]);
    expect(wrapper.get('[data-testid="weights-offline"]').text()).toContain('ResNet-50’s ImageNet weights are not on this computer');
    expect(wrapper.get('[data-testid="weights-offline"]').text()).toContain('resnet50-f37072fd.pth');

    await wrapper.get('[data-testid="weights-offline-import"]').trigger('click');
    await flushPromises();
    expect(pickPaths).toHaveBeenCalledOnce();
    expect(fake.received['weights.import']).toEqual([{ file: '/media/usb/resnet50-f37072fd.pth' }]);
    expect(wrapper.find('[data-testid="weights-offline"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="weights-present"]').text()).toContain('ResNet50_Weights.IMAGENET1K_V1 is in the weights folder');
    await wrapper.setProps({ depth: 18 });

    await wrapper.get('[data-testid="weights-offline-random"]').trigger('click');
    expect(wrapper.emitted('update:weights')!.at(-1)).toEqual(['none']);
  });

  it('in a browser, names the data folders where an imported file must be', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [], offline: true });
    fake.handle('files.browse', () => ({ ok: true, value: { path: null, parent: null, roots: ['/srv/data', '/srv/runs'], entries: [], truncated: false } }));
    const { wrapper } = await mountPanel(fake);
    expect(wrapper.get('[data-testid="weights-offline"]').text()).toContain('into one of its data folders (/srv/data, /srv/runs)');
  });

  it('says a cut download in words, for its own depth only', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', false), pretrained(50, 'IMAGENET1K_V1', false)], imported: [] });
    fake.handle('weights.download', () => ({ ok: false, error: { code: 'NETWORK', message: 'The download of https://x stopped after 5 bytes (ECONNRESET). run the same command again' } }));
    const { wrapper } = await mountPanel(fake);
    await wrapper.get('[data-testid="weights-download"]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid="weights-download-error"]').text()).toBe(
      'The download stopped before the end. The part already downloaded is kept: Download again to continue from there.',
    );
    await wrapper.setProps({ depth: 50 });
    await flushPromises();
    expect(wrapper.find('[data-testid="weights-download-error"]').exists()).toBe(false);
  });

  it('imports a checkpoint file and starts from it; a torchvision file counts as ImageNet’s', async () => {
    const fake = createFakeApi();
    const folder = { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [] as ReturnType<typeof importedEntry>[] };
    serveWeights(fake, folder);
    fake.handle('weights.import', (params) => {
      folder.imported = [importedEntry(18, '/weights/imported/mine.pth')];
      return {
        ok: true,
        value: {
          kind: 'imported',
          path: '/weights/imported/mine.pth',
          source: params.file,
          depth: 18,
          numClasses: 7,
          sha256: 'cd'.repeat(32),
          bytes: 1000,
          alreadyPresent: false,
          torchvisionName: null,
        },
      };
    });
    const { wrapper } = await mountPanel(fake);
    await wrapper.get('[data-testid="weights-import-input"]').setValue('/home/me/mine.pth');
    await flushPromises();
    expect(fake.received['weights.import']).toEqual([{ file: '/home/me/mine.pth' }]);
    expect(wrapper.emitted('update:weights')).toEqual([['/weights/imported/mine.pth']]);
    expect(wrapper.get('[data-testid="weights-import-result"]').text()).toContain('ResNet-18, 7 classes');
    expect((wrapper.get('[data-testid="weights-file"]').element as HTMLInputElement).checked).toBe(true);
    expect((wrapper.get('[data-testid="weights-imported"]').element as HTMLSelectElement).value).toBe('/weights/imported/mine.pth');
  });

  it('asks the desktop app’s dialog for checkpoints, and keeps the weights when the file is of another depth', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [] });
    fake.handle('weights.import', (params) => ({
      ok: true,
      value: {
        kind: 'pretrained',
        path: '/weights/resnet50-11ad3fa6.pth',
        source: params.file,
        depth: 50,
        numClasses: 1000,
        sha256: 'ef'.repeat(32),
        bytes: 102_530_333,
        alreadyPresent: false,
        torchvisionName: 'ResNet50_Weights.IMAGENET1K_V2',
      },
    }));
    const pickPaths = vi.fn(async (_options: PickPathsOptions) => ['/media/usb/resnet50-11ad3fa6.pth']);
    const api: WorkbenchApi = { ...fake.api, dialogs: { pickPaths, showInFolder: async () => undefined } };
    const { wrapper } = await mountPanel({ ...fake, api });
    await wrapper.get('[data-testid="weights-import-choose"]').trigger('click');
    await flushPromises();
    expect(pickPaths).toHaveBeenCalledWith({
      kind: 'file',
      title: 'Import a checkpoint file (.pth or .safetensors)',
      filters: [{ name: 'Checkpoints', extensions: ['pth', 'pt', 'safetensors'] }],
    });
    expect(fake.received['weights.import']).toEqual([{ file: '/media/usb/resnet50-11ad3fa6.pth' }]);
    expect(wrapper.emitted('update:weights')).toBeUndefined();
    expect(wrapper.get('[data-testid="weights-import-result"]').text()).toContain('Choose ResNet-50 above to start from it.');
  });

  it('shows a failed import’s reason', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [] });
    fake.handle('weights.import', () => ({ ok: false, error: { code: 'CHECKPOINT_MISMATCH', message: 'The file is a ResNet-50 checkpoint.' } }));
    const { wrapper } = await mountPanel(fake);
    await wrapper.get('[data-testid="weights-import-input"]').setValue('/home/me/r50.pth');
    await flushPromises();
    expect(wrapper.get('[data-testid="weights-import-error"]').text()).toBe('The file is a ResNet-50 checkpoint.');
    expect(wrapper.emitted('update:weights')).toBeUndefined();
  });

  it('warns that random initialisation gives poor accuracy', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', true)], imported: [] });
    const { wrapper } = await mountPanel(fake);
    expect(wrapper.find('[data-testid="weights-none-notice"]').exists()).toBe(false);
    await wrapper.get('[data-testid="weights-none"]').setValue(true);
    expect(wrapper.emitted('update:weights')).toEqual([['none']]);
    expect(wrapper.get('[data-testid="weights-none-notice"]').text()).toContain('expect poor accuracy');
  });

  it('falls back to the depth’s default variant when the chosen one does not exist for it', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [pretrained(18, 'IMAGENET1K_V1', true), pretrained(50, 'IMAGENET1K_V1', false), pretrained(50, 'IMAGENET1K_V2', true)], imported: [] });
    const { wrapper } = await mountPanel(fake, { depth: 50, variant: 'IMAGENET1K_V2' });
    expect(wrapper.find('[data-testid="field-weightsVariant"]').exists()).toBe(true);
    await wrapper.setProps({ depth: 18 });
    expect(wrapper.emitted('update:variant')).toEqual([['IMAGENET1K_V1']]);
  });
});
