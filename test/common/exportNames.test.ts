import { describe, expect, it } from 'vitest';
import { exportBaseNameSchema } from '../../src-main/common/contract';
import { datasetName, defaultExportName, exportFileName, exportNameProblem, nameSlug, runDate } from '../../src-main/common/exportNames';

describe('defaultExportName', () => {
  it('is resnet<depth>-<data set>-<the run’s date>, without the run id', () => {
    expect(defaultExportName({ depth: 18, trainDir: '/data/fashion/train', runId: '20261202-143005-resnet18-abd387' })).toBe('resnet18-fashion-2026-12-02');
    expect(defaultExportName({ depth: 50, trainDir: 'C:\\Users\\Ann\\Pets', runId: '20250101-000000-resnet50-000000' })).toBe('resnet50-pets-2025-01-01');
  });

  it('takes today’s date for a run id without one', () => {
    expect(defaultExportName({ depth: 34, trainDir: '/d/birds', runId: 'my-run' }, new Date(2026, 11, 2, 23, 59))).toBe('resnet34-birds-2026-12-02');
  });

  it('names the data set by the folder above a split and sanitises it', () => {
    expect(datasetName('/data/fashion/train')).toBe('fashion');
    expect(datasetName('/data/Fashion MNIST/train/')).toBe('fashion-mnist');
    expect(datasetName('/data/Crème Brûlée/images/train')).toBe('creme-brulee');
    expect(datasetName('D:\\photos\\Cats & Dogs\\Training')).toBe('cats-dogs');
    expect(datasetName('/train')).toBe('data');
    expect(datasetName('/data/猫')).toBe('data');
    expect(nameSlug('x'.repeat(100))).toHaveLength(40);
  });

  it('reads the date of an engine run id only', () => {
    expect(runDate('20261202-143005-resnet18-abd387')).toBe('2026-12-02');
    expect(runDate('run-1')).toBeNull();
  });
});

describe('export names', () => {
  it('accepts ordinary names and says what is wrong with others', () => {
    expect(exportNameProblem('resnet18-fashion-2026-12-02')).toBeNull();
    expect(exportNameProblem('')).toMatch(/Give the export a file name/);
    expect(exportNameProblem(' x')).toMatch(/space/);
    expect(exportNameProblem('..')).toMatch(/cannot be a file name/);
    expect(exportNameProblem('a/b')).toMatch(/cannot contain/);
    expect(exportNameProblem('a\\..\\b')).toMatch(/cannot contain/);
    expect(exportNameProblem('model.')).toMatch(/end with a dot/);
    expect(exportNameProblem('x'.repeat(201))).toMatch(/longer than 200/);
  });

  it('is enforced by the contract too', () => {
    expect(exportBaseNameSchema.safeParse('pets').success).toBe(true);
    expect(exportBaseNameSchema.safeParse('../../etc/passwd').success).toBe(false);
  });

  it('gives each format its file or folder name', () => {
    expect(exportFileName('m', 'onnx')).toBe('m.onnx');
    expect(exportFileName('m', 'tfjs')).toBe('m-tfjs');
  });
});
