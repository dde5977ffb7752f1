import { describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION } from '../../../src-main/common/normalization';
import { RESNET_DEPTHS, parameterCount } from '../../../src-main/common/resnetSpec';
import {
  PRETRAINED_WEIGHTS,
  findPretrainedWeights,
  findPretrainedWeightsBySha256,
  parseWeightsVariant,
  resnetMultiplyAccumulates,
  sha256PrefixFromFileName,
  variantsFor,
} from '../../../src-main/node/weights/catalog';

describe('pretrained weights catalog', () => {
  it('has V1 for every depth and V2 exactly for 50, 101 and 152, V1 being the default', () => {
    expect(RESNET_DEPTHS.map((d) => [d, variantsFor(d)])).toEqual([
      [18, ['IMAGENET1K_V1']],
      [34, ['IMAGENET1K_V1']],
      [50, ['IMAGENET1K_V1', 'IMAGENET1K_V2']],
      [101, ['IMAGENET1K_V1', 'IMAGENET1K_V2']],
      [152, ['IMAGENET1K_V1', 'IMAGENET1K_V2']],
    ]);
    for (const w of PRETRAINED_WEIGHTS) {
      expect(w.isDefault).toBe(w.variant === 'IMAGENET1K_V1');
      // torchvision's own DEFAULT alias is the newest recipe.
      expect(w.isTorchvisionDefault).toBe(w.variant === (variantsFor(w.depth).includes('IMAGENET1K_V2') ? 'IMAGENET1K_V2' : 'IMAGENET1K_V1'));
    }
  });

  it("takes the hash prefix from the file name as torch.hub's check_hash does, and serves from download.pytorch.org", () => {
    expect(sha256PrefixFromFileName('resnet18-f37072fd.pth')).toBe('f37072fd');
    expect(sha256PrefixFromFileName('resnet18.pth')).toBeUndefined();
    for (const w of PRETRAINED_WEIGHTS) {
      expect(w.url).toBe(`https://download.pytorch.org/models/${w.fileName}`);
      expect(w.fileName).toMatch(new RegExp(`^resnet${w.depth}-[0-9a-f]{8}\\.pth$`));
      expect(w.sha256Prefix).toBe(w.fileName.slice(-12, -4));
      expect(w.torchvisionName).toBe(`ResNet${w.depth}_Weights.${w.variant}`);
    }
    expect(new Set(PRETRAINED_WEIGHTS.map((w) => w.sha256Prefix)).size).toBe(PRETRAINED_WEIGHTS.length);
  });

  it('lists parameter counts that agree with the spec table', () => {
    for (const w of PRETRAINED_WEIGHTS) expect(w.parameters, `ResNet-${w.depth}`).toBe(parameterCount(w.depth, 1000));
  });

  it('computes multiply-accumulates equal to a PyTorch forward-hook count over torchvision models', () => {
    // Conv2d + Linear MACs at 1×3×224×224, counted with forward hooks on torchvision 0.14's resnetN().
    const pytorch = { 18: 1814073344, 34: 3663761408, 50: 4089184256, 101: 7801405440, 152: 11513626624 };
    for (const d of RESNET_DEPTHS) expect(resnetMultiplyAccumulates(d), `ResNet-${d}`).toBe(pytorch[d]);
    expect(findPretrainedWeights(50)?.gflops).toBe(4.089);
  });

  it('uses torchvision eval preprocessing: resize 256 (V1) or 232 (V2), crop 224, ImageNet statistics', () => {
    for (const w of PRETRAINED_WEIGHTS) {
      expect(w.preprocessing).toEqual({
        resizeSize: w.variant === 'IMAGENET1K_V2' ? 232 : 256,
        cropSize: 224,
        interpolation: 'bilinear',
        normalization: IMAGENET_NORMALIZATION,
      });
    }
  });

  it('orders accuracy as expected: deeper is better, V2 beats V1', () => {
    const v1 = RESNET_DEPTHS.map((d) => findPretrainedWeights(d, 'IMAGENET1K_V1')!.imagenet.top1);
    expect([...v1].sort((a, b) => a - b)).toEqual(v1);
    for (const d of [50, 101, 152] as const) {
      expect(findPretrainedWeights(d, 'IMAGENET1K_V2')!.imagenet.top1).toBeGreaterThan(findPretrainedWeights(d, 'IMAGENET1K_V1')!.imagenet.top1);
    }
  });

  it('finds entries by variant and by full hash', () => {
    expect(findPretrainedWeights(18)?.fileName).toBe('resnet18-f37072fd.pth');
    expect(findPretrainedWeights(18, 'IMAGENET1K_V2')).toBeUndefined();
    expect(findPretrainedWeightsBySha256(`11AD3FA6${'0'.repeat(56)}`)?.torchvisionName).toBe('ResNet50_Weights.IMAGENET1K_V2');
    expect(findPretrainedWeightsBySha256('0'.repeat(64))).toBeUndefined();
  });

  it('parses variant names the way people type them', () => {
    expect(['V1', 'v2', 'IMAGENET1K_V1', 'imagenet1k_v2'].map(parseWeightsVariant)).toEqual(['IMAGENET1K_V1', 'IMAGENET1K_V2', 'IMAGENET1K_V1', 'IMAGENET1K_V2']);
    expect(['V3', '', 'DEFAULT'].map(parseWeightsVariant)).toEqual([undefined, undefined, undefined]);
  });
});
