/**
 * Head checkpoints as safetensors. The head is stored in torchvision's layout (`fc.weight` [classes,
 * channels], `fc.bias`) so the file reads as a partial torchvision state dict; training state
 * (optimizer slots, best weights, history) rides along for resume.
 */
import { WorkbenchError } from '../../common/errors';
import type { HeadTrainingState, HeadWeights } from './headTrainer';
import type { OptimizerState } from './optimizers';
import { CHECKPOINT_CONTENT, type StoredState } from './runFolder';
import type { StateDict } from '../weights/stateDict';

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
}

function putHead(tensors: StateDict, prefix: string, w: HeadWeights): void {
  const classes = w.bias.length;
  const channels = w.kernel.length / classes;
  // tfjs kernel [channels, classes] → torch weight [classes, channels].
  tensors.set(`${prefix}fc.weight`, { dtype: 'float32', shape: [classes, channels], data: transpose(w.kernel, channels, classes) });
  tensors.set(`${prefix}fc.bias`, { dtype: 'float32', shape: [classes], data: w.bias });
}

function getHead(tensors: StateDict, prefix: string): HeadWeights {
  const weight = tensors.get(`${prefix}fc.weight`);
  const bias = tensors.get(`${prefix}fc.bias`);
  if (!weight || !bias || !(weight.data instanceof Float32Array) || !(bias.data instanceof Float32Array) || weight.shape.length !== 2) {
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `The run checkpoint has no valid ${prefix}fc.weight / ${prefix}fc.bias.`);
  }
  const [classes, channels] = weight.shape as [number, number];
  return { kernel: transpose(weight.data, classes, channels), bias: bias.data };
}

export function headWeightsToStored(w: HeadWeights, classes: readonly string[], epoch: number): StoredState {
  const tensors: StateDict = new Map();
  putHead(tensors, '', w);
  return { tensors, metadata: { kind: CHECKPOINT_CONTENT.head, classes: JSON.stringify(classes), epoch: String(epoch) } };
}

export function headStateToStored(state: HeadTrainingState, classes: readonly string[]): StoredState {
  const stored = headWeightsToStored(state.weights, classes, state.epoch);
  putHead(stored.tensors, 'best.', state.best);
  for (const [key, slot] of Object.entries(state.optimizer.slots)) {
    slot.values.forEach((values, i) => stored.tensors.set(`optimizer.${key}.${i}`, { dtype: 'float32', shape: slot.shape, data: values }));
  }
  Object.assign(stored.metadata, {
    kind: CHECKPOINT_CONTENT.headTrainingState,
    bestEpoch: String(state.bestEpoch),
    bestScore: String(state.bestScore),
    sinceBest: String(state.sinceBest),
    optimizerStep: String(state.optimizer.step),
    history: JSON.stringify(state.history),
  });
  return stored;
}

export function headStateFromStored(stored: StoredState): HeadTrainingState {
  const m = stored.metadata;
  if (m.kind !== CHECKPOINT_CONTENT.headTrainingState) throw new WorkbenchError('CHECKPOINT_CORRUPT', 'The run checkpoint is not a training state.');
  const slots: OptimizerState['slots'] = {};
  for (const [name, tensor] of stored.tensors) {
    const match = /^optimizer\.(.+)\.(\d+)$/.exec(name);
    if (!match || !(tensor.data instanceof Float32Array)) continue;
    const slot = (slots[match[1] as string] ??= { shape: tensor.shape, values: [] });
    slot.values[Number(match[2])] = tensor.data;
  }
  return {
    epoch: Number(m.epoch),
    weights: getHead(stored.tensors, ''),
    best: getHead(stored.tensors, 'best.'),
    bestEpoch: Number(m.bestEpoch),
    bestScore: Number(m.bestScore),
    sinceBest: Number(m.sinceBest),
    optimizer: { step: Number(m.optimizerStep), slots },
    history: JSON.parse(m.history ?? '[]') as HeadTrainingState['history'],
  };
}
