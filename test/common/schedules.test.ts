import { describe, expect, it } from 'vitest';
import { learningRateAt } from '../../src-main/common/schedules';

describe('learning-rate schedules', () => {
  it('constant stays at lr', () => {
    for (const step of [0, 5, 99]) expect(learningRateAt(step, { schedule: 'constant', lr: 1e-3, totalSteps: 100 })).toBe(1e-3);
  });

  it('cosine warms up linearly, peaks at lr, and decays to 0 at the end', () => {
    const o = { schedule: 'cosine' as const, lr: 0.1, totalSteps: 100, warmupSteps: 10 };
    expect(learningRateAt(0, o)).toBeCloseTo(0.1 / 11, 12);
    expect(learningRateAt(9, o)).toBeCloseTo((0.1 * 10) / 11, 12);
    expect(learningRateAt(10, o)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(55, o)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(100, o)).toBeCloseTo(0, 12);
    for (let s = 11; s < 100; s++) expect(learningRateAt(s, o)).toBeLessThanOrEqual(learningRateAt(s - 1, o));
  });

  it('onecycle follows PyTorch OneCycleLR (cos, pct_start 0.3, div 25, final_div 1e4)', () => {
    // Values printed by torch.optim.lr_scheduler.OneCycleLR(max_lr=0.01, total_steps=10) on torch 1.13.
    const torch = [0.0004, 0.0052, 0.01, 0.00950485, 0.00811746, 0.00611262, 0.00388742, 0.00188258, 0.00049519, 4e-8];
    torch.forEach((expected, step) => {
      expect(learningRateAt(step, { schedule: 'onecycle', lr: 0.01, totalSteps: 10 })).toBeCloseTo(expected, 7);
    });
  });
});
