// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { effectScope, ref } from 'vue';
import { describe, expect, it } from 'vitest';
import type { CallParamsInput, FilePrediction } from '../../../src-main/common/contract';
import { inBatches, matchPredictions, useClassify } from '../../../src-renderer/src/composables/useClassify';
import { MAX_UPLOAD_BYTES } from '../../../src-renderer/src/support/fileEncoding';
import { createFakeApi } from './fakeApi';

type ClassifyParams = CallParamsInput<'models.classify'>;

const top = (label: string, probability: number) => [
  { index: 0, label, probability },
  { index: 1, label: 'other', probability: 1 - probability },
];

function image(name: string, bytes: number[] = [1, 2, 3], type = 'image/png'): File {
  return new File([new Uint8Array(bytes)], name, { type });
}

/** A file whose size is over the limit without holding the bytes. */
function hugeFile(name: string): File {
  const file = image(name);
  Object.defineProperty(file, 'size', { value: MAX_UPLOAD_BYTES + 1 });
  return file;
}

function classifyingFake() {
  const fake = createFakeApi();
  fake.handle('models.classify', (params) => ({
    ok: true,
    value: {
      labels: ['cat', 'other'],
      predictions: params.images.map((img): FilePrediction =>
        img.name.startsWith('bad') ? { file: img.name, error: { code: 'BAD_INPUT', message: `${img.name} is not an image` } } : { file: img.name, top: top('cat', 0.75) },
      ),
    },
  }));
  return fake;
}

describe('batching and matching', () => {
  it('splits into runs of at most the size', () => {
    expect(inBatches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(inBatches([], 32)).toEqual([]);
  });

  it('matches answers by order, or by name when the counts differ', () => {
    const a: FilePrediction = { file: 'a.png', top: top('cat', 0.9) };
    const b: FilePrediction = { file: 'b.png', top: top('dog', 0.9) };
    expect(matchPredictions(['a.png', 'b.png'], [a, b])).toEqual([a, b]);
    expect(matchPredictions(['a.png', 'b.png', 'c.png'], [b, a])).toEqual([a, b, undefined]);
  });
});

describe('useClassify', () => {
  it('sends the exact base64 of each file with the model and top 5, and shows each result', async () => {
    const fake = classifyingFake();
    const classify = effectScope().run(() => useClassify(fake.api, () => 'run-1'))!;
    await classify.classifyFiles([image('cat.png', [0x66, 0x6f, 0x6f, 0x62, 0x61, 0x72]), image('bad.txt', [0], 'text/plain')]);
    expect(fake.received['models.classify']).toEqual([
      { model: 'run-1', topK: 5, images: [{ name: 'cat.png', data: 'Zm9vYmFy' }, { name: 'bad.txt', data: 'AA==' }] },
    ] satisfies ClassifyParams[]);
    const [cat, bad] = classify.images.value;
    expect(cat).toMatchObject({ name: 'cat.png', origin: 'upload', state: 'done', preview: 'data:image/png;base64,Zm9vYmFy', error: null });
    expect(cat?.top[0]).toEqual({ index: 0, label: 'cat', probability: 0.75 });
    expect(bad).toMatchObject({ state: 'failed', preview: null, error: { code: 'BAD_INPUT', message: 'bad.txt is not an image' } });
    expect(classify.busy.value).toBe(false);
  });

  it('sends more than 32 images in batches of at most 32, in order', async () => {
    const fake = classifyingFake();
    const classify = effectScope().run(() => useClassify(fake.api, () => 'run-1'))!;
    const files = Array.from({ length: 70 }, (_, i) => image(`img-${i}.png`));
    await classify.classifyFiles(files);
    const calls = (fake.received['models.classify'] ?? []) as ClassifyParams[];
    expect(calls.map((call) => call.images.length)).toEqual([32, 32, 6]);
    expect(calls.flatMap((call) => call.images.map((img) => img.name))).toEqual(files.map((file) => file.name));
    expect(classify.images.value.every((img) => img.state === 'done')).toBe(true);
  });

  it('refuses an oversize file without calling the engine, and still sends the others', async () => {
    const fake = classifyingFake();
    const classify = effectScope().run(() => useClassify(fake.api, () => 'run-1'))!;
    await classify.classifyFiles([hugeFile('poster.tif')]);
    expect(fake.received['models.classify']).toBeUndefined();
    expect(classify.images.value[0]).toMatchObject({ name: 'poster.tif', state: 'refused', error: { code: 'BAD_INPUT' } });
    expect(classify.images.value[0]?.error?.message).toContain('poster.tif is 20.0 MB; images larger than 20.0 MB cannot be sent');

    await classify.classifyFiles([hugeFile('big.tif'), image('ok.png')]);
    expect((fake.received['models.classify'] as ClassifyParams[]).map((call) => call.images.map((img) => img.name))).toEqual([['ok.png']]);
  });

  it('marks a whole batch with the call’s error when the call fails', async () => {
    const fake = createFakeApi();
    fake.handle('models.classify', () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'No run run-1' } }));
    const classify = effectScope().run(() => useClassify(fake.api, () => 'run-1'))!;
    await classify.classifyFiles([image('a.png'), image('b.png')]);
    expect(classify.images.value.map((img) => img.error?.message)).toEqual(['No run run-1', 'No run run-1']);
    expect(classify.images.value.map((img) => img.state)).toEqual(['failed', 'failed']);
  });

  it('asks for a run when none is chosen, and forgets results when the run changes', async () => {
    const fake = classifyingFake();
    const model = ref<string | null>(null);
    const classify = effectScope().run(() => useClassify(fake.api, model))!;
    await classify.classifyFiles([image('a.png')]);
    expect(classify.problem.value).toBe('Choose a run to try first.');
    expect(classify.images.value).toEqual([]);
    expect(fake.received['models.classify']).toBeUndefined();

    model.value = 'run-1';
    await flushPromises();
    await classify.classifyFiles([image('a.png')]);
    expect(classify.problem.value).toBeNull();
    expect(classify.images.value).toHaveLength(1);
    model.value = 'run-2';
    await flushPromises();
    expect(classify.images.value).toEqual([]);
  });

  it('classifies files on the engine’s machine by path, with thumbnails as previews', async () => {
    const fake = createFakeApi();
    fake.handle('models.predict', (params) => ({
      ok: true,
      value: {
        labels: ['cat', 'other'],
        predictions: params.files.map((file): FilePrediction => (file.endsWith('.txt') ? { file, error: { code: 'BAD_INPUT', message: 'not an image' } } : { file, top: top('cat', 0.6) })),
      },
    }));
    fake.handle('images.thumbnails', (params) => ({
      ok: true,
      value: { thumbnails: params.paths.map((path) => (path.endsWith('.txt') ? { path, error: { code: 'BAD_INPUT' as const, message: 'not an image' } } : { path, dataUrl: 'data:image/jpeg;base64,AAAA', width: 4, height: 4 })) },
    }));
    const classify = effectScope().run(() => useClassify(fake.api, () => 'run-1'))!;
    await classify.classifyEnginePaths(['/data/cats/tom.jpg', 'C:\\data\\notes.txt']);
    await flushPromises();
    expect(fake.received['models.predict']).toEqual([{ model: 'run-1', files: ['/data/cats/tom.jpg', 'C:\\data\\notes.txt'], topK: 5 }]);
    const [tom, notes] = classify.images.value;
    expect(tom).toMatchObject({ name: 'tom.jpg', origin: 'engine', path: '/data/cats/tom.jpg', state: 'done', preview: 'data:image/jpeg;base64,AAAA' });
    expect(notes).toMatchObject({ name: 'notes.txt', state: 'failed', preview: null, error: { message: 'not an image' } });
  });

  it('keeps going after a request whose call was rejected', async () => {
    const fake = createFakeApi();
    let calls = 0;
    fake.handle('models.classify', (params) => {
      calls += 1;
      if (calls === 1) return Promise.reject(new Error('connection lost'));
      return { ok: true, value: { labels: ['cat'], predictions: params.images.map((img) => ({ file: img.name, top: top('cat', 1) })) } };
    });
    const classify = effectScope().run(() => useClassify(fake.api, () => 'run-1'))!;
    const first = classify.classifyFiles([image('a.png')]);
    const second = classify.classifyFiles([image('b.png')]);
    expect(classify.busy.value).toBe(true);
    await Promise.all([first, second]);
    expect(classify.images.value.map((img) => [img.name, img.state, img.error?.message ?? null])).toEqual([
      ['a.png', 'failed', 'connection lost'],
      ['b.png', 'done', null],
    ]);
    expect(classify.busy.value).toBe(false);
  });
});
