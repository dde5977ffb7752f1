/**
 * What the engine can do, from its engine.info. Fine-tuning needs convolution gradients; when the
 * active backend lacks them the engine fine-tunes on its pure-JavaScript cpu backend, which always
 * loads (node/engine/backend.ts, `requireConvGradients`) — possible, but slow.
 */
import type { EngineInfo } from '../../../src-main/common/contract';

export function fineTuneBackendOf(info: EngineInfo): EngineInfo['backend'] {
  return info.convGradients ? info.backend : 'cpu';
}

/** One line for the header: what training modes the engine offers at what speed. */
export function describeAbilities(info: EngineInfo): string {
  if (info.convGradients) return info.backend === 'cpu' ? 'fine-tuning available (slow on cpu)' : 'fine-tuning available';
  return `fine-tuning falls back to the slow cpu backend (${info.backend} has no convolution gradients)`;
}
