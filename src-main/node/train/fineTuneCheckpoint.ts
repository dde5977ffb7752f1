/**
 * Fine-tune checkpoints: a complete torchvision state dict (every layer may have changed), plus the
 * optimizer state and history for resume in `last.safetensors`.
 */
import { WorkbenchError } from '../../common/errors';
import type { FineTuneState } from './fineTuner';
import type { OptimizerState } from './optimizers';
import { CHECKPOINT_CONTENT, type StoredState } from './runFolder';
import type { StateDict } from '../weights/stateDict';

const OPTIMIZER_PREFIX = 'optimizer/';

export function fullModelMetadata(classes: readonly string[], epoch: number): Record<string, string> {
  return { kind: CHECKPOINT_CONTENT.full, classes: JSON.stringify(classes), epoch: String(epoch) };
}

export function fineTuneStateToStored(weights: StateDict, state: FineTuneState, classes: readonly string[]): StoredState {
  const tensors: StateDict = new Map(weights);
  for (const [key, slot] of Object.entries(state.optimizer.slots)) {
    slot.values.forEach((values, i) => tensors.set(`${OPTIMIZER_PREFIX}${key}/${i}`, { dtype: 'float32', shape: slot.shape, data: values }));
  }
  return {
    tensors,
    metadata: {
      ...fullModelMetadata(classes, state.epoch),
      kind: CHECKPOINT_CONTENT.fullTrainingState,
      bestEpoch: String(state.bestEpoch),
      bestScore: String(state.bestScore),
      sinceBest: String(state.sinceBest),
      optimizerStep: String(state.optimizer.step),
      history: JSON.stringify(state.history),
    },
  };
}

/** The training state, and the stored tensors minus optimizer slots (the model's weights). */
export function fineTuneStateFromStored(stored: StoredState): FineTuneState | undefined {
  const m = stored.metadata;
  if (m.kind !== CHECKPOINT_CONTENT.fullTrainingState) {
    if (m.kind === CHECKPOINT_CONTENT.headTrainingState) return undefined;
    throw new WorkbenchError('CHECKPOINT_CORRUPT', 'The run checkpoint is not a fine-tune training state.');
  }
  const slots: OptimizerState['slots'] = {};
  for (const [name, tensor] of [...stored.tensors]) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) continue;
    stored.tensors.delete(name);
    const rest = name.slice(OPTIMIZER_PREFIX.length);
    const cut = rest.lastIndexOf('/');
    if (!(tensor.data instanceof Float32Array) || cut < 0) continue;
    const slot = (slots[rest.slice(0, cut)] ??= { shape: tensor.shape, values: [] });
    slot.values[Number(rest.slice(cut + 1))] = tensor.data;
  }
  return {
    epoch: Number(m.epoch),
    optimizer: { step: Number(m.optimizerStep), slots },
    bestEpoch: Number(m.bestEpoch),
    bestScore: Number(m.bestScore),
    sinceBest: Number(m.sinceBest),
    history: JSON.parse(m.history ?? '[]') as FineTuneState['history'],
    isBest: false,
  };
}
