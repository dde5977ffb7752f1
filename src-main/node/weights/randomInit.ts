/**
 * Seeded random initialisation with torchvision's scheme, as a state dict: the starting point when
 * no pretrained weights are used (`--weights none`). tfjs' own initialisers are not seeded per
 * model, so runs from scratch would not repeat; this makes same seed, same result hold there too.
 */
import { torchvisionStateDictLayout, type ResNetDepth } from '../../common/resnetSpec';
import { createRng, deriveSeed } from '../dataset/random';
import type { StateDict } from './stateDict';

const INIT_STREAM = 0x696e6974;

/**
 * torchvision `ResNet.__init__`: convs kaiming_normal_(mode='fan_out', nonlinearity='relu'), BatchNorm
 * weight 1 and bias 0, running statistics 0 and 1; fc as nn.Linear's default U(-1/√in, 1/√in).
 */
export function randomResNetStateDict(depth: ResNetDepth, numClasses: number, seed: number): StateDict {
  const dict: StateDict = new Map();
  const layout = torchvisionStateDictLayout(depth, numClasses);
  layout.forEach((entry, index) => {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.dtype === 'int64') {
      dict.set(entry.key, { dtype: 'int64', shape: entry.shape, data: new BigInt64Array(count) });
      return;
    }
    const rng = createRng(deriveSeed(seed, INIT_STREAM, index));
    const data = new Float32Array(count);
    const [out = 1, , kh = 1, kw = 1] = entry.shape;
    if (entry.key.startsWith('fc.')) {
      const fanIn = layout.find((e) => e.key === 'fc.weight')?.shape[1] ?? 1;
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < count; i++) data[i] = rng.uniform(-bound, bound);
    } else if (entry.shape.length === 4) {
      const std = Math.sqrt(2 / (out * kh * kw));
      for (let i = 0; i < count; i += 2) {
        // Box–Muller: two normals per two uniforms.
        const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
        const t = 2 * Math.PI * rng.next();
        data[i] = std * r * Math.cos(t);
        if (i + 1 < count) data[i + 1] = std * r * Math.sin(t);
      }
    } else if (entry.key.endsWith('.weight') || entry.key.endsWith('.running_var')) {
      data.fill(1);
    }
    dict.set(entry.key, { dtype: 'float32', shape: entry.shape, data });
  });
  return dict;
}
