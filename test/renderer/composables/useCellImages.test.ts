// @vitest-environment happy-dom
import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { CallResult, Reply } from '../../../src-main/common/contract';
import { CELL_IMAGE_LIMIT, useCellImages } from '../../../src-renderer/src/composables/useCellImages';
import { createFakeApi } from './fakeApi';

type CellReply = Reply<CallResult<'runs.images'>>;

const reply: CellReply = { ok: true, value: { epoch: 2, actual: 'dog', predicted: 'cat', total: 1, images: [{ file: '/val/dog/a.jpg', confidence: 0.7 }] } };

describe('useCellImages', () => {
  it('asks runs.images for the cell with its indices and epoch, and holds the reply', async () => {
    const fake = createFakeApi();
    fake.handle('runs.images', () => reply);
    const cell = useCellImages(fake.api);
    const opening = cell.open({ runId: 'r1', epoch: 2, actual: 1, predicted: 0 });
    expect(cell.loading.value).toBe(true);
    expect(cell.query.value).toEqual({ runId: 'r1', epoch: 2, actual: 1, predicted: 0 });
    await opening;
    expect(fake.received['runs.images']).toEqual([{ runId: 'r1', epoch: 2, actual: 1, predicted: 0, limit: CELL_IMAGE_LIMIT }]);
    expect(cell.loading.value).toBe(false);
    expect(cell.result.value?.images).toEqual([{ file: '/val/dog/a.jpg', confidence: 0.7 }]);
    expect(cell.error.value).toBeNull();
  });

  it('tells an epoch whose per-image results are not kept (NOT_FOUND) from other errors', async () => {
    const fake = createFakeApi();
    let next: CellReply = { ok: false, error: { code: 'NOT_FOUND', message: 'Epoch 1 is not kept.' } };
    fake.handle('runs.images', () => next);
    const cell = useCellImages(fake.api);
    await cell.open({ runId: 'r1', epoch: 1, actual: 0, predicted: 0 });
    expect(cell.notKept.value).toBe(true);
    expect(cell.error.value?.message).toBe('Epoch 1 is not kept.');
    expect(cell.result.value).toBeNull();

    next = { ok: false, error: { code: 'BAD_INPUT', message: 'actual: class 9 is out of range' } };
    await cell.open({ runId: 'r1', epoch: 2, actual: 9, predicted: 0 });
    expect(cell.notKept.value).toBe(false);
    expect(cell.error.value?.code).toBe('BAD_INPUT');
  });

  it('turns a transport failure into an error instead of throwing', async () => {
    const fake = createFakeApi();
    fake.handle('runs.images', () => Promise.reject(new Error('socket closed')));
    const cell = useCellImages(fake.api);
    await expect(cell.open({ runId: 'r1', epoch: 2, actual: 0, predicted: 1 })).resolves.toBeUndefined();
    expect(cell.error.value?.code).toBe('INTERNAL');
    expect(cell.error.value?.message).toBe('socket closed');
  });

  it('shows only the last cell asked for, and nothing after close', async () => {
    const fake = createFakeApi();
    const pending: ((value: CellReply) => void)[] = [];
    fake.handle('runs.images', () => new Promise<CellReply>((resolve) => pending.push(resolve)));
    const cell = useCellImages(fake.api);
    void cell.open({ runId: 'r1', epoch: 2, actual: 0, predicted: 1 });
    void cell.open({ runId: 'r1', epoch: 2, actual: 1, predicted: 0 });
    pending[1]!(reply);
    pending[0]!({ ok: true, value: { ...(reply.ok ? reply.value : ({} as never)), actual: 'cat', predicted: 'dog' } });
    await flushPromises();
    expect(cell.result.value?.actual).toBe('dog');
    expect(cell.query.value?.actual).toBe(1);

    void cell.open({ runId: 'r1', epoch: 2, actual: 2, predicted: 2 });
    cell.close();
    pending[2]!(reply);
    await flushPromises();
    expect(cell.query.value).toBeNull();
    expect(cell.result.value).toBeNull();
    expect(cell.loading.value).toBe(false);
  });
});
