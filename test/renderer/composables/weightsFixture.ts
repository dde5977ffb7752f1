/** The weights folder and catalog as the engine reports them, for the Train screen's tests. */
import type { ImportedWeightsEntry, ModelInfo, PretrainedWeightsEntry } from '../../../src-main/common/contract';
import type { ResNetDepth } from '../../../src-main/common/resnetSpec';
import type { FakeApi } from './fakeApi';

export function model(depth: ResNetDepth, parameters: number, gflops: number): ModelInfo {
  const block = depth < 50 ? 'basic' : 'bottleneck';
  return { depth, block, layers: [2, 2, 2, 2], featureChannels: depth < 50 ? 512 : 2048, parameters, backboneParameters: parameters - 1000, gflops };
}

export const MODELS: ModelInfo[] = [model(18, 11_689_512, 1.81), model(50, 25_557_032, 4.09)];

export function pretrained(depth: ResNetDepth, variant: PretrainedWeightsEntry['variant'], present: boolean, bundled = false): PretrainedWeightsEntry {
  const fileName = `resnet${depth}-${variant === 'IMAGENET1K_V1' ? 'f37072fd' : '11ad3fa6'}.pth`;
  return {
    depth,
    variant,
    torchvisionName: `ResNet${depth}_Weights.${variant}`,
    fileName,
    url: `https://download.pytorch.org/models/${fileName}`,
    sha256Prefix: 'f37072fd',
    top1: variant === 'IMAGENET1K_V1' ? 69.758 : 80.858,
    top5: 89.078,
    parameters: 11_689_512,
    gflops: 1.81,
    resizeSize: 256,
    cropSize: 224,
    isDefault: variant === 'IMAGENET1K_V1',
    isTorchvisionDefault: variant === 'IMAGENET1K_V1',
    present,
    bundled,
    path: bundled ? `/opt/ResNet Workbench/resources/weights/${fileName}` : `/weights/${fileName}`,
    ...(present ? { bytes: 46_830_571 } : {}),
  };
}

export function importedEntry(depth: ResNetDepth, path: string): ImportedWeightsEntry {
  return { path, fileName: path.split('/').at(-1)!, source: '/home/me/model.pth', depth, numClasses: 7, sha256: 'cd'.repeat(32), bytes: 1000, importedAt: '2026-11-27T10:00:00.000Z' };
}

/** Answers models.catalog, weights.list and weights.reachable from state the test may change (default: online). */
export function serveWeights(
  fake: FakeApi,
  state: { pretrained: PretrainedWeightsEntry[]; imported: ImportedWeightsEntry[]; offline?: boolean },
): void {
  fake.handle('models.catalog', () => ({ ok: true, value: { models: MODELS } }));
  fake.handle('weights.list', () => ({ ok: true, value: { pretrained: state.pretrained, imported: state.imported } }));
  fake.handle('weights.reachable', () => ({
    ok: true,
    value: state.offline
      ? { reachable: false, host: 'download.pytorch.org', reason: 'This computer cannot reach download.pytorch.org: it looks offline, or a firewall blocks the address.' }
      : { reachable: true, host: 'download.pytorch.org', reason: null },
  }));
}
