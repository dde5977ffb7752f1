// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { useDataset } from '../../../src-renderer/src/composables/useDataset';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { cleanTrainScan } from '../components/scanFixture';
import { createFakeApi } from './fakeApi';

afterEach(resetSession);

describe('useDataset', () => {
  it('scans train and test and keeps the report and the folders in the session', async () => {
    const fake = createFakeApi();
    fake.handle('dataset.scan', () => ({ ok: true, value: cleanTrainScan() }));
    const dataset = useDataset(fake.api);
    const summary = await dataset.scan('/data/train', '/data/test');
    expect(fake.received['dataset.scan']).toEqual([{ train: '/data/train', test: '/data/test' }]);
    expect(summary?.images).toBe(78);
    const session = useSession();
    expect([session.trainDir, session.testDir, session.scan?.images]).toEqual(['/data/train', '/data/test', 78]);
    expect(dataset.scanned.value).toEqual({ train: '/data/train', test: '/data/test', report: summary });
    expect(dataset.scanning.value).toBe(false);

    await dataset.scan('/data/train', null);
    expect(fake.received['dataset.scan']?.[1]).toEqual({ train: '/data/train' });
  });

  it('keeps the engine’s message when a scan fails and drops the old report', async () => {
    const fake = createFakeApi();
    fake.handle('dataset.scan', () => ({ ok: true, value: cleanTrainScan() }));
    const dataset = useDataset(fake.api);
    await dataset.scan('/data/train', null);
    fake.handle('dataset.scan', () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'The train folder /data/trian does not exist.' } }));
    expect(await dataset.scan('/data/trian', null)).toBeNull();
    expect(dataset.error.value?.code).toBe('NOT_FOUND');
    expect(dataset.error.value?.message).toBe('The train folder /data/trian does not exist.');
    expect(useSession().scan).toBeNull();
  });

  it('ignores a slower reply to an earlier scan', async () => {
    const fake = createFakeApi();
    let releaseFirst: () => void = () => {};
    const first = cleanTrainScan();
    const second = { ...cleanTrainScan(), root: '/data/second' };
    fake.handle('dataset.scan', async (params) => {
      if (params.train === '/data/first') await new Promise<void>((resolve) => (releaseFirst = resolve));
      return { ok: true, value: params.train === '/data/first' ? first : second };
    });
    const dataset = useDataset(fake.api);
    const slow = dataset.scan('/data/first', null);
    await dataset.scan('/data/second', null);
    releaseFirst();
    expect(await slow).toBeNull();
    expect(useSession().scan?.root).toBe('/data/second');
    expect(useSession().trainDir).toBe('/data/second');
  });
});
