import { describe, expect, it } from 'vitest';
import { modelCatalog } from '../../../src-main/node/service/modelCatalog';
import { CALLS } from '../../../src-main/common/contract';

// torchvision's published figures (docs of torchvision.models, ResNet*_Weights.IMAGENET1K_V1:
// "num_params" and "_ops" in GFLOPS), i.e. PyTorch's own numbers, not ours.
const TORCHVISION = {
  18: { params: 11_689_512, gflops: 1.81 },
  34: { params: 21_797_672, gflops: 3.66 },
  50: { params: 25_557_032, gflops: 4.09 },
  101: { params: 44_549_160, gflops: 7.8 },
  152: { params: 60_192_808, gflops: 11.51 },
} as const;

describe('models.catalog', () => {
  it('lists every depth with torchvision’s parameter counts and GFLOPS', () => {
    const catalog = modelCatalog();
    expect(catalog.map((m) => m.depth)).toEqual([18, 34, 50, 101, 152]);
    for (const model of catalog) {
      const published = TORCHVISION[model.depth];
      expect(model.parameters).toBe(published.params);
      expect(model.gflops).toBeCloseTo(published.gflops, 2);
      expect(model.backboneParameters).toBe(model.parameters - (model.featureChannels * 1000 + 1000));
    }
  });

  it('matches the contract', () => {
    expect(CALLS['models.catalog'].result.safeParse({ models: modelCatalog() }).success).toBe(true);
  });
});
