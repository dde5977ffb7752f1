// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { forgetPerFolder, formFromStorage, recalledScan, rememberPerFolder, rememberScan } from '../../../src-renderer/src/composables/folderMemory';
import { resetSession, useSession } from '../../../src-renderer/src/composables/useSession';
import { resetTrainForm, useTrainForm } from '../../../src-renderer/src/composables/useTrainForm';
import { cleanTrainScan } from '../components/scanFixture';

beforeEach(() => {
  localStorage.clear();
  resetSession();
  resetTrainForm();
});

afterEach(() => {
  forgetPerFolder();
  localStorage.clear();
});

describe('folder memory', () => {
  it('brings back the form used with a train folder, and keeps each folder’s own', async () => {
    rememberPerFolder();
    const session = useSession();
    const form = useTrainForm();
    session.trainDir = '/data/fashion/train';
    form.epochs = 25;
    form.lr = '0.0005';
    form.depth = 50;
    await nextTick();

    session.trainDir = '/data/flowers/train';
    // A folder without a memory keeps the form as it is; then gets its own.
    expect(form.epochs).toBe(25);
    form.epochs = 3;
    await nextTick();

    session.trainDir = '/data/fashion/train';
    expect([form.epochs, form.lr, form.depth]).toEqual([25, '0.0005', 50]);

    // A reload: a fresh form, the session's folder restored, the memory read at start-up.
    forgetPerFolder();
    resetTrainForm();
    rememberPerFolder();
    expect(form.epochs).toBe(25);
  });

  it('shows the chosen folders’ own last scan, none for folders never scanned, also after a reload', async () => {
    rememberPerFolder();
    const session = useSession();
    session.trainDir = '/data/a/train';
    session.scan = cleanTrainScan();
    await nextTick();
    session.trainDir = '/data/b/train';
    // Another folder: the first folder's counts are not shown for it.
    expect(session.scan).toBeNull();
    session.trainDir = '/data/a/train';
    expect(session.scan).toEqual(cleanTrainScan());

    forgetPerFolder();
    session.scan = null;
    rememberPerFolder();
    expect(session.scan).toEqual(cleanTrainScan());
  });

  it('restores only what the form and the contract accept', () => {
    expect(formFromStorage({ epochs: 12, lr: '1e-3', depth: 19, mode: 'everything', augment: 'yes', optimizer: 'sgd', weights: 'none', extra: 1 })).toEqual({
      epochs: 12,
      lr: '1e-3',
      optimizer: 'sgd',
      weights: 'none',
    });
    expect(formFromStorage('junk')).toEqual({});
    expect(formFromStorage({ epochs: 'x'.repeat(500) })).toEqual({});
    localStorage.setItem(`resnet-workbench:scan:${JSON.stringify(['/d', null])}`, '{"root": 3}');
    expect(recalledScan('/d', null)).toBeNull();
  });

  it('keeps the newest scans only', () => {
    for (let i = 0; i < 10; i++) rememberScan(`/data/${i}`, null, cleanTrainScan());
    expect(recalledScan('/data/0', null)).toBeNull();
    expect(recalledScan('/data/1', null)).toBeNull();
    expect(recalledScan('/data/2', null)).not.toBeNull();
    expect(recalledScan('/data/9', null)).not.toBeNull();
  });
});
