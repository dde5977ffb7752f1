// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { useFileThumbnails } from '../../../src-renderer/src/composables/useFileThumbnails';
import { createFakeApi } from './fakeApi';

describe('useFileThumbnails', () => {
  it('asks once per path, in chunks of 200, and keeps each file’s picture or error', async () => {
    const fake = createFakeApi();
    fake.handle('images.thumbnails', (params) => ({
      ok: true,
      value: {
        thumbnails: params.paths
          .filter((path) => !path.endsWith('lost.jpg'))
          .map((path) => (path.endsWith('bad.jpg') ? { path, error: { code: 'BAD_INPUT' as const, message: 'Not an image.' } } : { path, dataUrl: `data:${path}`, width: 4, height: 4 })),
      },
    }));
    const thumbs = useFileThumbnails(fake.api, 64);
    const paths = Array.from({ length: 250 }, (_, i) => `/img/${i}.jpg`);
    await thumbs.load([...paths, '/img/bad.jpg', '/img/lost.jpg', '/img/0.jpg']);
    const calls = fake.received['images.thumbnails'] as { paths: string[]; size: number }[];
    expect(calls.map((call) => call.paths.length)).toEqual([200, 52]);
    expect(calls[0]!.size).toBe(64);
    expect(thumbs.byPath.get('/img/7.jpg')).toEqual({ status: 'loaded', dataUrl: 'data:/img/7.jpg' });
    expect(thumbs.byPath.get('/img/bad.jpg')).toEqual({ status: 'failed', error: { code: 'BAD_INPUT', message: 'Not an image.' } });
    expect(thumbs.byPath.get('/img/lost.jpg')?.status).toBe('failed');

    await thumbs.load(['/img/7.jpg', '/img/bad.jpg']);
    expect(calls).toHaveLength(2);
  });

  it('marks the paths of a failed call failed instead of leaving them loading', async () => {
    const fake = createFakeApi();
    fake.handle('images.thumbnails', () => ({ ok: false, error: { code: 'NOT_AVAILABLE', message: 'No decoder.' } }));
    const thumbs = useFileThumbnails(fake.api);
    await thumbs.load(['/img/a.jpg']);
    expect(thumbs.byPath.get('/img/a.jpg')).toEqual({ status: 'failed', error: { code: 'NOT_AVAILABLE', message: 'No decoder.' } });
  });
});
