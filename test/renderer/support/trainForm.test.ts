import { describe, expect, it } from 'vitest';
import { runConfigConflicts, runConfigSchema } from '../../../src-main/common/runConfig';
import { defaultTrainForm, RUN_CONFIG_DEFAULTS, toRunConfigInput, validateTrainForm } from '../../../src-renderer/src/support/trainForm';

const folders = { trainDir: '/data/train', testDir: null };

describe('trainForm', () => {
  it('starts from the run config schema’s defaults', () => {
    const parsed = runConfigSchema.parse({ trainDir: '/data/train' });
    const form = defaultTrainForm();
    expect(form.epochs).toBe(parsed.epochs);
    expect(form.lr).toBe(parsed.lr);
    expect(form.imageSize).toBe(parsed.imageSize);
    expect(form.patience).toBe('');
    const result = validateTrainForm(form, folders);
    expect(result.ok).toBe(true);
    // The form adds nothing of its own: the config it makes is the schema's defaults.
    expect(result.ok && result.config).toEqual(parsed);
    expect(RUN_CONFIG_DEFAULTS.trainDir).toBe('x');
  });

  it('includes the test folder only when there is one, and patience only when set', () => {
    const form = { ...defaultTrainForm(), patience: 3 };
    const input = toRunConfigInput(form, { trainDir: '/data/train', testDir: '/data/test' });
    expect(input.testDir).toBe('/data/test');
    expect(input.patience).toBe(3);
    const without = toRunConfigInput(defaultTrainForm(), folders);
    expect('testDir' in without).toBe(false);
    expect('patience' in without).toBe(false);
  });

  it('evaluates at the weights variant’s crop unless one is typed in (V2: resize 232, crop 224)', () => {
    const v2 = validateTrainForm({ ...defaultTrainForm(), weightsVariant: 'IMAGENET1K_V2' }, folders);
    expect(v2.ok && v2.config.crop).toBeCloseTo(224 / 232, 12);
    const v1 = validateTrainForm(defaultTrainForm(), folders);
    expect(v1.ok && v1.config.crop).toBe(0.875);
    const chosen = validateTrainForm({ ...defaultTrainForm(), weightsVariant: 'IMAGENET1K_V2', crop: 1 }, folders);
    expect(chosen.ok && chosen.config.crop).toBe(1);
  });

  it('keeps no validation images only with a test folder and the last epoch kept, said on the field to change', () => {
    const withTest = { trainDir: '/data/train', testDir: '/data/test' };
    const noTest = validateTrainForm({ ...defaultTrainForm(), valSplit: 0, selectEpoch: 'last' }, folders);
    expect(!noTest.ok && noTest.errors.valSplit).toMatch(/choose a test folder on the Data screen/);
    const best = validateTrainForm({ ...defaultTrainForm(), valSplit: 0 }, withTest);
    expect(!best.ok && best.errors.valSplit).toMatch(/set Kept epoch to “the last epoch”/);
    const patient = validateTrainForm({ ...defaultTrainForm(), valSplit: 0, selectEpoch: 'last', patience: 3 }, withTest);
    expect(!patient.ok && patient.errors.patience).toMatch(/leave Patience empty/);
    const last = validateTrainForm({ ...defaultTrainForm(), valSplit: 0, selectEpoch: 'last' }, withTest);
    expect(last.ok && last.config).toMatchObject({ valSplit: 0, selectEpoch: 'last', testDir: '/data/test' });
    // The engine accepts what the form lets through.
    expect(last.ok && runConfigConflicts(last.config)).toEqual([]);
  });

  it('never reads a number with a comma: it says how to write it', () => {
    const result = validateTrainForm({ ...defaultTrainForm(), lr: '0,001', epochs: '1,000' }, folders);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.lr).toBe('Learning rate: “0,001” has a comma; write decimals with a point (0.001) and no thousands separators.');
    expect(result.errors.epochs).toMatch(/^Epochs: “1,000” has a comma/);
    // Typed as people type it, with a point or an exponent, it is read.
    const typed = validateTrainForm({ ...defaultTrainForm(), lr: ' 1e-3 ', epochs: '12', valSplit: '.25' }, folders);
    expect(typed.ok && typed.config).toMatchObject({ lr: 0.001, epochs: 12, valSplit: 0.25 });
  });

  it('carries the engine, device and threads, threads only when set', () => {
    const input = toRunConfigInput({ ...defaultTrainForm(), inferenceEngine: 'onnxruntime', provider: 'cpu', threads: 4 }, folders);
    expect(input).toMatchObject({ inferenceEngine: 'onnxruntime', provider: 'cpu', threads: 4 });
    expect('threads' in toRunConfigInput(defaultTrainForm(), folders)).toBe(false);
    const bad = validateTrainForm({ ...defaultTrainForm(), threads: 0 }, folders);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.threads).toMatch(/^Threads /);
  });

  it('names each bad field with a message a person can act on', () => {
    const form = {
      ...defaultTrainForm(),
      epochs: 0,
      lr: '',
      batchSize: 2.5,
      imageSize: 4096,
      momentum: 1,
      crop: 0,
      patience: 'soon',
      valSplit: 1,
      seed: -1,
    };
    const result = validateTrainForm(form, { trainDir: null, testDir: null });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual({
      trainDir: 'Choose a train folder on the Data screen first.',
      epochs: 'Epochs must be at least 1.',
      lr: 'Learning rate must be a number.',
      batchSize: 'Batch size must be a whole number.',
      imageSize: 'Image size must be at most 1024.',
      momentum: 'Momentum must be less than 1.',
      crop: 'Evaluation crop must be more than 0.',
      patience: 'Patience must be a number.',
      valSplit: 'Validation fraction must be less than 1.',
      seed: 'Seed must be at least 0.',
    });
  });

  it('accepts numbers typed as text', () => {
    const result = validateTrainForm({ ...defaultTrainForm(), epochs: ' 12 ', lr: '3e-4' }, folders);
    expect(result.ok && [result.config.epochs, result.config.lr]).toEqual([12, 3e-4]);
  });
});
