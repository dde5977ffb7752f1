// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope } from 'vue';
import { describe, expect, it } from 'vitest';
import type { CallResult, Reply } from '../../../src-main/common/contract';
import { useWeights } from '../../../src-renderer/src/composables/useWeights';
import { createFakeApi } from './fakeApi';
import { importedEntry, pretrained, serveWeights } from './weightsFixture';

describe('useWeights', () => {
  it('loads the catalog and the weights folder, and follows a download’s progress', async () => {
    const fake = createFakeApi();
    const folder = { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [] };
    serveWeights(fake, folder);
    let finish: (reply: Reply<CallResult<'weights.download'>>) => void = () => {};
    fake.handle('weights.download', () => new Promise((resolve) => (finish = resolve)));
    const scope = effectScope();
    const weights = scope.run(() => useWeights(fake.api))!;
    await flushPromises();
    expect(weights.models.value.map((m) => m.depth)).toEqual([18, 50]);
    expect(weights.isPresent(18, 'IMAGENET1K_V1')).toBe(false);

    const done = weights.download(18, 'IMAGENET1K_V1');
    expect(weights.downloading.value).toEqual({ depth: 18, variant: 'IMAGENET1K_V1' });
    fake.emit('weights.progress', { depth: 50, variant: 'IMAGENET1K_V1', bytes: 1, total: 2, bytesPerSecond: 1 });
    expect(weights.progress.value).toBeNull();
    fake.emit('weights.progress', { depth: 18, variant: 'IMAGENET1K_V1', bytes: 1_000_000, total: 46_830_571, bytesPerSecond: 500_000 });
    expect(weights.progress.value?.bytes).toBe(1_000_000);

    folder.pretrained = [pretrained(18, 'IMAGENET1K_V1', true)];
    finish({ ok: true, value: { path: '/weights/resnet18-f37072fd.pth', downloaded: true } });
    expect(await done).toBe(true);
    expect(weights.downloading.value).toBeNull();
    expect(weights.isPresent(18, 'IMAGENET1K_V1')).toBe(true);
    expect(fake.received['weights.download']).toEqual([{ depth: 18, variant: 'IMAGENET1K_V1' }]);

    scope.stop();
    expect(fake.listenerCount()).toBe(0);
  });

  it('keeps a failed download’s and a failed import’s errors apart', async () => {
    const fake = createFakeApi();
    const folder = { pretrained: [pretrained(18, 'IMAGENET1K_V1', false)], imported: [importedEntry(18, '/weights/mine.pth')] };
    serveWeights(fake, folder);
    fake.handle('weights.download', () => ({ ok: false, error: { code: 'OFFLINE', message: 'Cannot reach download.pytorch.org (ENOTFOUND).' } }));
    fake.handle('weights.import', () => ({ ok: false, error: { code: 'CHECKPOINT_CORRUPT', message: 'Not a PyTorch checkpoint.' } }));
    const weights = useWeights(fake.api);
    await flushPromises();
    expect(weights.imported.value).toHaveLength(1);
    expect(await weights.download(18, 'IMAGENET1K_V1')).toBe(false);
    expect(weights.downloadError.value?.code).toBe('OFFLINE');
    expect(await weights.importFile('/home/me/x.pth')).toBeNull();
    expect(weights.importError.value?.message).toBe('Not a PyTorch checkpoint.');
    expect(weights.downloadError.value?.code).toBe('OFFLINE');
    expect(fake.received['weights.import']).toEqual([{ file: '/home/me/x.pth' }]);
    weights.stop();
  });

  it('shows the catalog even when the weights folder cannot be listed', async () => {
    const fake = createFakeApi();
    serveWeights(fake, { pretrained: [], imported: [] });
    fake.handle('weights.list', () => ({ ok: false, error: { code: 'IO', message: 'Cannot read /weights' } }));
    const weights = useWeights(fake.api);
    await flushPromises();
    expect(weights.models.value).toHaveLength(2);
    expect(weights.error.value?.message).toBe('Cannot read /weights');
    weights.stop();
  });
});
