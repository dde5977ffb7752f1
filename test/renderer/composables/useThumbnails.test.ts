// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { CallResult, Reply } from '../../../src-main/common/contract';
import { useThumbnails } from '../../../src-renderer/src/composables/useThumbnails';
import { createFakeApi, type FakeApi } from './fakeApi';

type Listing = CallResult<'files.browse'>;

function listing(path: string, entries: Listing['entries']): Reply<Listing> {
  return { ok: true, value: { path, parent: null, roots: ['/data'], entries, truncated: false } };
}

/** /data/train with a cat folder of 8 images and an empty dog folder. */
function folderApi(): FakeApi {
  const fake = createFakeApi();
  fake.handle('files.browse', (params) => {
    switch (params?.path) {
      case '/data/train':
        return listing('/data/train', [
          { name: 'cat', path: '/data/train/cat', kind: 'folder' },
          { name: 'dog', path: '/data/train/dog', kind: 'folder' },
        ]);
      case '/data/train/cat':
        return listing(
          '/data/train/cat',
          Array.from({ length: 8 }, (_, i) => ({ name: `${i}.jpg`, path: `/data/train/cat/${i}.jpg`, kind: 'file' as const })),
        );
      case '/data/train/dog':
        return listing('/data/train/dog', [{ name: 'sub', path: '/data/train/dog/sub', kind: 'folder' }]);
      default:
        return { ok: false, error: { code: 'NOT_FOUND', message: `${params?.path} does not exist` } };
    }
  });
  fake.handle('images.thumbnails', (params) => ({
    ok: true,
    value: {
      thumbnails: params.paths.map((path, i) =>
        i === 1 ? { path, error: { code: 'BAD_INPUT' as const, message: 'not an image' } } : { path, dataUrl: `data:image/jpeg;base64,${i}`, width: 96, height: 72 },
      ),
    },
  }));
  return fake;
}

describe('useThumbnails', () => {
  it('lists each class folder for images and asks for the first few previews', async () => {
    const fake = folderApi();
    const thumbnails = useThumbnails(fake.api, 6, 96);
    await thumbnails.load('/data/train', ['cat', 'dog']);
    expect(fake.received['files.browse']).toEqual([
      { path: '/data/train', include: 'folders' },
      { path: '/data/train/cat', include: 'images' },
      { path: '/data/train/dog', include: 'images' },
    ]);
    expect(fake.received['images.thumbnails']).toEqual([{ paths: [0, 1, 2, 3, 4, 5].map((i) => `/data/train/cat/${i}.jpg`), size: 96 }]);
    const cat = thumbnails.byClass.cat;
    expect(cat?.status === 'loaded' && cat.paths.map((path) => { const t = thumbnails.byPath.get(path); return t?.status === 'loaded' ? 'image' : t?.status === 'failed' ? t.error.message : t?.status; })).toEqual([
      'image',
      'not an image',
      'image',
      'image',
      'image',
      'image',
    ]);
    // A folder without images needs no thumbnails call.
    expect(thumbnails.byClass.dog).toEqual({ status: 'loaded', paths: [] });

    // Each class is loaded once.
    await thumbnails.load('/data/train', ['cat', 'dog']);
    expect(fake.received['files.browse']).toHaveLength(3);
  });

  it('marks a class failed with the reason, and starts over for another folder', async () => {
    const fake = folderApi();
    const thumbnails = useThumbnails(fake.api);
    await thumbnails.load('/data/train', ['owl']);
    expect(thumbnails.byClass.owl).toEqual({ status: 'failed', message: 'No folder named owl in /data/train.' });

    await thumbnails.load('/data/elsewhere', ['cat']);
    await flushPromises();
    expect(thumbnails.byClass.owl).toBeUndefined();
    expect(thumbnails.byClass.cat).toEqual({ status: 'failed', message: '/data/elsewhere does not exist' });
  });
});
