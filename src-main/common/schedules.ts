/**
 * Learning-rate schedules as pure functions of the optimizer step, so the trainer, the UI's preview
 * and the tests all agree on the same curve.
 */
export const SCHEDULES = ['constant', 'cosine', 'onecycle'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface ScheduleOptions {
  schedule: ScheduleName;
  /** Peak learning rate. */
  lr: number;
  totalSteps: number;
  /** Linear warm-up steps for 'cosine'. Default: 5% of the steps. */
  warmupSteps?: number;
  /** 'onecycle': fraction of steps spent rising. Default 0.3 (PyTorch's OneCycleLR). */
  pctStart?: number;
  /** 'onecycle': initial lr = lr / divFactor. Default 25 (PyTorch). */
  divFactor?: number;
  /** 'onecycle': final lr = initial lr / finalDivFactor. Default 1e4 (PyTorch). */
  finalDivFactor?: number;
}

function cosineBetween(start: number, end: number, fraction: number): number {
  return end + ((start - end) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, fraction))))) / 2;
}

/** Learning rate for 0-based optimizer step `step`. */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  const total = Math.max(1, o.totalSteps);
  switch (o.schedule) {
    case 'constant':
      return o.lr;
    case 'cosine': {
      const warmup = Math.min(total - 1, o.warmupSteps ?? Math.floor(total * 0.05));
      if (step < warmup) return (o.lr * (step + 1)) / (warmup + 1);
      return cosineBetween(o.lr, 0, (step - warmup) / Math.max(1, total - warmup));
    }
    case 'onecycle': {
      // PyTorch OneCycleLR with anneal_strategy='cos', three_phase=False.
      const initial = o.lr / (o.divFactor ?? 25);
      const final = initial / (o.finalDivFactor ?? 1e4);
      const peakStep = (o.pctStart ?? 0.3) * total - 1;
      if (step <= peakStep) return cosineBetween(initial, o.lr, step / peakStep);
      return cosineBetween(o.lr, final, (step - peakStep) / (total - 1 - peakStep));
    }
  }
}
