/**
 * Adam and SGD with momentum, with PyTorch's exact update rules (torch.optim.Adam / SGD, weight
 * decay as L2 added to the gradient). Written here rather than taken from tfjs because tfjs' Adam
 * places epsilon differently, has no weight decay, and fixes the learning rate at construction —
 * schedules and per-group rates (a lower rate for a fine-tuned backbone) need it per step.
 */
import * as tf from '../engine/tf';

export const OPTIMIZERS = ['adam', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface OptimizerConfig {
  name: OptimizerName;
  /** L2 penalty added to the gradient, as PyTorch's `weight_decay`. Default 0. */
  weightDecay?: number;
  /** SGD momentum. Default 0.9. */
  momentum?: number;
  /** Adam betas. Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Adam epsilon, added after the square root as PyTorch does. Default 1e-8. */
  eps?: number;
}

/** Serializable optimizer state, for checkpoints and resume. */
export interface OptimizerState {
  step: number;
  /** Per variable key (given by the caller): Adam [m, v] or SGD [momentum buffer]. */
  slots: Record<string, { shape: number[]; values: Float32Array[] }>;
}

export class TorchStyleOptimizer {
  private stepCount = 0;
  private readonly slots = new Map<tf.Variable, tf.Variable[]>();

  constructor(private readonly config: OptimizerConfig) {}

  get step(): number {
    return this.stepCount;
  }

  /**
   * Apply one update. `lrFor` gives each variable's learning rate for this step (schedules and groups
   * are the caller's business). Gradients are consumed, not disposed.
   */
  applyGradients(grads: ReadonlyMap<tf.Variable, tf.Tensor>, lrFor: (variable: tf.Variable) => number): void {
    this.stepCount++;
    const t = this.stepCount;
    const wd = this.config.weightDecay ?? 0;
    for (const [variable, rawGrad] of grads) {
      const lr = lrFor(variable);
      tf.tidy(() => {
        const grad = wd !== 0 ? tf.add(rawGrad, tf.mul(variable, wd)) : rawGrad;
        if (this.config.name === 'adam') {
          const [b1, b2] = this.config.betas ?? [0.9, 0.999];
          const eps = this.config.eps ?? 1e-8;
          const [m, v] = this.slotsFor(variable, 2) as [tf.Variable, tf.Variable];
          m.assign(tf.add(tf.mul(m, b1), tf.mul(grad, 1 - b1)));
          v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(grad), 1 - b2)));
          const stepSize = lr / (1 - b1 ** t);
          const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** t)), eps);
          variable.assign(tf.sub(variable, tf.mul(tf.div(m, denom), stepSize)));
        } else {
          const momentum = this.config.momentum ?? 0.9;
          let update: tf.Tensor = grad;
          if (momentum !== 0) {
            const [buf] = this.slotsFor(variable, 1) as [tf.Variable];
            // PyTorch starts the buffer at the first gradient rather than at zero.
            buf.assign(t === 1 ? grad : tf.add(tf.mul(buf, momentum), grad));
            update = buf;
          }
          variable.assign(tf.sub(variable, tf.mul(update, lr)));
        }
      });
    }
  }

  private slotsFor(variable: tf.Variable, count: number): tf.Variable[] {
    let slots = this.slots.get(variable);
    if (!slots) {
      slots = Array.from({ length: count }, () => tf.variable(tf.zerosLike(variable), false));
      this.slots.set(variable, slots);
    }
    return slots;
  }

  /**
   * The state, keyed by stable names the caller gives its variables (tfjs variable names must be
   * unique per process, so they cannot identify a variable across runs).
   */
  getState(keys: ReadonlyMap<tf.Variable, string>): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [variable, vars] of this.slots) {
      const key = keys.get(variable);
      if (key !== undefined) slots[key] = { shape: variable.shape, values: vars.map((s) => s.dataSync().slice() as Float32Array) };
    }
    return { step: this.stepCount, slots };
  }

  /** Restore state saved by getState, matching variables by the same keys. */
  setState(state: OptimizerState, keys: ReadonlyMap<tf.Variable, string>): void {
    this.dispose();
    this.stepCount = state.step;
    for (const [variable, key] of keys) {
      const saved = state.slots[key];
      if (!saved) continue;
      this.slots.set(
        variable,
        saved.values.map((values) => tf.variable(tf.tensor(values, saved.shape), false)),
      );
    }
  }

  dispose(): void {
    for (const vars of this.slots.values()) vars.forEach((v) => v.dispose());
    this.slots.clear();
  }
}
