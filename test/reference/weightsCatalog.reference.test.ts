import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadImagenetClasses } from '../../src-main/node/imagenetClasses';
import { PRETRAINED_WEIGHTS } from '../../src-main/node/weights/catalog';

// Reads torchvision's own weight enums and class list, so the catalog and
// resources/imagenet-classes.json are checked against the installed torchvision, not a copy.
const SCRIPT = `
import json
from torchvision.models import resnet
from torchvision.models._meta import _IMAGENET_CATEGORIES
entries = []
for depth in (18, 34, 50, 101, 152):
    enum = getattr(resnet, f"ResNet{depth}_Weights")
    for w in enum:
        t = w.transforms()
        metrics = w.meta["_metrics"]["ImageNet-1K"]
        entries.append({
            "depth": depth, "variant": w.name, "url": w.url, "parameters": w.meta["num_params"],
            "top1": metrics["acc@1"], "top5": metrics["acc@5"], "resize": t.resize_size[0], "crop": t.crop_size[0],
            "mean": t.mean, "std": t.std, "interpolation": t.interpolation.value, "default": enum.DEFAULT.name == w.name,
        })
print(json.dumps({"entries": entries, "categories": list(_IMAGENET_CATEGORIES)}))
`;

interface TorchvisionEntry {
  depth: number;
  variant: string;
  url: string;
  parameters: number;
  top1: number;
  top5: number;
  resize: number;
  crop: number;
  mean: number[];
  std: number[];
  interpolation: string;
  default: boolean;
}

function torchvisionFacts(): { entries: TorchvisionEntry[]; categories: string[] } {
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as {
      entries: TorchvisionEntry[];
      categories: string[];
    };
  } catch (error) {
    throw new Error(`torchvision could not be read; install Debian's python3-torch python3-torchvision. ${(error as Error).message}`);
  }
}

describe('pretrained weights catalog against the installed torchvision', () => {
  const facts = torchvisionFacts();

  it('lists exactly torchvision ResNet checkpoints with their URL, accuracy, size and preprocessing', () => {
    const ours = PRETRAINED_WEIGHTS.map((w) => ({
      depth: w.depth,
      variant: w.variant,
      url: w.url,
      parameters: w.parameters,
      top1: w.imagenet.top1,
      top5: w.imagenet.top5,
      resize: w.preprocessing.resizeSize,
      crop: w.preprocessing.cropSize,
      mean: [...w.preprocessing.normalization.mean],
      std: [...w.preprocessing.normalization.std],
      interpolation: w.preprocessing.interpolation,
      default: w.isTorchvisionDefault,
    }));
    expect(ours).toEqual(facts.entries);
  });

  it('ships the ImageNet class names in torchvision order', async () => {
    expect(await loadImagenetClasses()).toEqual(facts.categories);
  });
});
