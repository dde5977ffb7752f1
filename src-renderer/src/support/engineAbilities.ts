/**
 * What the engine can do, from its engine.info. Fine-tuning needs convolution gradients; when the
 * active backend lacks them the engine fine-tunes on its pure-JavaScript cpu backend, which always
 * loads (node/engine/backend.ts, `requireConvGradients`) — possible, but slow.
 */
import type { EngineInfo } from '../../../src-main/common/contract';

export function fineTuneBackendOf(info: EngineInfo): EngineInfo['backend'] {
  return info.convGradients ? info.backend : 'cpu';
}

const PROVIDER_WORDS: Record<string, string> = { cpu: 'the CPU', cuda: 'an NVIDIA GPU', dml: 'the GPU (DirectML)', coreml: 'Apple’s Neural Engine and GPU' };

/** Where the work runs, in words: the frozen network's device, else the training backend's. */
export function describeDevice(info: EngineInfo): string {
  const used = info.inference;
  if (used?.engine === 'onnxruntime') return `${PROVIDER_WORDS[used.provider] ?? used.provider}${used.provider === 'cpu' && used.threads ? ` (${used.threads} threads)` : ''}`;
  return info.backend === 'tensorflow-gpu' ? 'an NVIDIA GPU' : 'the CPU';
}

/** One line for the header: what training modes the engine offers, at what speed, in words. */
export function describeAbilities(info: EngineInfo): string {
  if (info.backend === 'tensorflow-gpu') return 'Both training modes are fast here.';
  if (info.convGradients && info.backend === 'tensorflow') return 'Linear training is fast; fine-tuning works, slower than on a GPU.';
  return 'Linear training is fast; fine-tuning works but is slow on this computer.';
}
