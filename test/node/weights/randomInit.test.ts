import { describe, expect, it } from 'vitest';
import { torchvisionStateDictLayout } from '../../../src-main/common/resnetSpec';
import { randomResNetStateDict } from '../../../src-main/node/weights/randomInit';

describe('seeded torchvision initialisation', () => {
  it('has every key and shape of the torchvision state dict', () => {
    const dict = randomResNetStateDict(50, 7, 1);
    const layout = torchvisionStateDictLayout(50, 7);
    expect([...dict.keys()]).toEqual(layout.map((e) => e.key));
    for (const e of layout) expect(dict.get(e.key)?.shape).toEqual(e.shape);
  });

  it('repeats for a seed and differs for another', () => {
    const conv = (seed: number): Float32Array => randomResNetStateDict(18, 10, seed).get('layer1.0.conv1.weight')!.data as Float32Array;
    const [a, b, c] = [conv(5), conv(5), conv(6)];
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it("follows torchvision's scheme: kaiming normal (fan_out) convs, BN 1/0, linear U(±1/√in)", () => {
    const dict = randomResNetStateDict(18, 10, 2);
    const conv = dict.get('layer3.0.conv2.weight')!.data as Float32Array; // 256 × 256 × 3 × 3
    const mean = conv.reduce((a, v) => a + v, 0) / conv.length;
    const std = Math.sqrt(conv.reduce((a, v) => a + (v - mean) ** 2, 0) / conv.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeCloseTo(Math.sqrt(2 / (256 * 9)), 3);
    expect(Array.from(dict.get('bn1.weight')!.data as Float32Array).every((v) => v === 1)).toBe(true);
    expect(Array.from(dict.get('bn1.running_mean')!.data as Float32Array).every((v) => v === 0)).toBe(true);
    const fc = Array.from(dict.get('fc.weight')!.data as Float32Array);
    expect(Math.max(...fc.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(512));
  });
});
