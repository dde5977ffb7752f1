/**
 * torchvision's ImageNet-1K checkpoints for the five ResNet depths. The facts (URL, accuracy,
 * parameter count, preprocessing) are copied from torchvision 0.14's `models/resnet.py`
 * (`ResNet{18,34,50,101,152}_Weights`) and `transforms/_presets.py` (`ImageClassification`), so a
 * file downloaded here is byte for byte the one `torchvision.models.resnetN(weights=...)` loads.
 *
 * The types are plain TypeScript with no Node imports so common/ code can mirror them for the UI.
 */
import { IMAGENET_NORMALIZATION, type Normalization } from '../../common/normalization';
import { RESNET_DEPTHS, featureChannels, resnetBlocks, type ResNetDepth } from '../../common/resnetSpec';

/** torchvision's names for the ImageNet-1K training recipes. */
export const WEIGHTS_VARIANTS = ['IMAGENET1K_V1', 'IMAGENET1K_V2'] as const;
export type WeightsVariant = (typeof WEIGHTS_VARIANTS)[number];

/** The variant used when none is named: V1, the weights the reference script loads (`pretrained=True`). */
export const DEFAULT_WEIGHTS_VARIANT: WeightsVariant = 'IMAGENET1K_V1';

/** Where torchvision's checkpoints live; file names are appended to it. */
export const TORCHVISION_WEIGHTS_BASE_URL = 'https://download.pytorch.org/models';

export interface EvalPreprocessing {
  /** Shorter side after the resize, in pixels (torchvision's `resize_size`). */
  resizeSize: number;
  /** Side of the center crop fed to the network (`crop_size`). */
  cropSize: number;
  interpolation: 'bilinear';
  normalization: Normalization;
}

export interface PretrainedWeights {
  depth: ResNetDepth;
  variant: WeightsVariant;
  /** torchvision's own name, e.g. `ResNet50_Weights.IMAGENET1K_V2`. */
  torchvisionName: string;
  /** File name in the weights folder and on the server, e.g. `resnet50-11ad3fa6.pth`. */
  fileName: string;
  url: string;
  /**
   * The start of the file's SHA-256 in lowercase hex: the part of the file name after the last '-',
   * which is what `torch.hub.load_state_dict_from_url(check_hash=True)` checks.
   */
  sha256Prefix: string;
  /** Older file names known to hold the same weights; none are named in torchvision 0.14's source. */
  legacyFileNames: readonly string[];
  /** Accuracy on the ImageNet-1K validation set, in percent, as torchvision reports it. */
  imagenet: { top1: number; top5: number };
  /** Learned parameters, 1000-class head included. */
  parameters: number;
  /** Billions of multiply-accumulates of one 224×224 forward pass (what torchvision's docs call GFLOPS). */
  gflops: number;
  numClasses: 1000;
  preprocessing: EvalPreprocessing;
  /** How the weights were trained. */
  recipe: string;
  /** The variant used when none is named (V1 for every depth). */
  isDefault: boolean;
  /** What torchvision's `DEFAULT` alias points to (V2 where it exists), for reference. */
  isTorchvisionDefault: boolean;
}

const V1_RECIPE = 'https://github.com/pytorch/vision/tree/main/references/classification#resnet';
const V1_PREPROCESSING: EvalPreprocessing = { resizeSize: 256, cropSize: 224, interpolation: 'bilinear', normalization: IMAGENET_NORMALIZATION };
// torchvision evaluates its new-recipe weights at resize 232, crop 224.
const V2_PREPROCESSING: EvalPreprocessing = { resizeSize: 232, cropSize: 224, interpolation: 'bilinear', normalization: IMAGENET_NORMALIZATION };

interface SourceEntry {
  depth: ResNetDepth;
  variant: WeightsVariant;
  url: string;
  top1: number;
  top5: number;
  parameters: number;
  recipe: string;
}

/** Transcribed from torchvision 0.14 `models/resnet.py`, in its order. */
const SOURCE: readonly SourceEntry[] = [
  { depth: 18, variant: 'IMAGENET1K_V1', url: 'https://download.pytorch.org/models/resnet18-f37072fd.pth', top1: 69.758, top5: 89.078, parameters: 11689512, recipe: V1_RECIPE },
  { depth: 34, variant: 'IMAGENET1K_V1', url: 'https://download.pytorch.org/models/resnet34-b627a593.pth', top1: 73.314, top5: 91.42, parameters: 21797672, recipe: V1_RECIPE },
  { depth: 50, variant: 'IMAGENET1K_V1', url: 'https://download.pytorch.org/models/resnet50-0676ba61.pth', top1: 76.13, top5: 92.862, parameters: 25557032, recipe: V1_RECIPE },
  {
    depth: 50,
    variant: 'IMAGENET1K_V2',
    url: 'https://download.pytorch.org/models/resnet50-11ad3fa6.pth',
    top1: 80.858,
    top5: 95.434,
    parameters: 25557032,
    recipe: 'https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621',
  },
  { depth: 101, variant: 'IMAGENET1K_V1', url: 'https://download.pytorch.org/models/resnet101-63fe2227.pth', top1: 77.374, top5: 93.546, parameters: 44549160, recipe: V1_RECIPE },
  {
    depth: 101,
    variant: 'IMAGENET1K_V2',
    url: 'https://download.pytorch.org/models/resnet101-cd907fc2.pth',
    top1: 81.886,
    top5: 95.78,
    parameters: 44549160,
    recipe: 'https://github.com/pytorch/vision/issues/3995#new-recipe',
  },
  { depth: 152, variant: 'IMAGENET1K_V1', url: 'https://download.pytorch.org/models/resnet152-394f9c45.pth', top1: 78.312, top5: 94.046, parameters: 60192808, recipe: V1_RECIPE },
  {
    depth: 152,
    variant: 'IMAGENET1K_V2',
    url: 'https://download.pytorch.org/models/resnet152-f82ba261.pth',
    top1: 82.284,
    top5: 96.002,
    parameters: 60192808,
    recipe: 'https://github.com/pytorch/vision/issues/3995#new-recipe',
  },
];

/** torch.hub's HASH_REGEX: `-([a-f0-9]*)\.` on the file name. */
const HASH_IN_FILE_NAME = /-([a-f0-9]*)\./;

/** The hash prefix a torchvision-style file name carries, or undefined if it has none. */
export function sha256PrefixFromFileName(fileName: string): string | undefined {
  const match = HASH_IN_FILE_NAME.exec(fileName);
  return match?.[1] ? match[1] : undefined;
}

function conv(outChannels: number, inChannels: number, kernel: number, outSide: number): number {
  return outChannels * inChannels * kernel * kernel * outSide * outSide;
}

/**
 * Multiply-accumulates of convolutions and the linear head for one square image, from the spec table.
 * At 224 px this gives exactly the counts of a PyTorch forward-hook tally over torchvision's models.
 */
export function resnetMultiplyAccumulates(depth: ResNetDepth, imageSize = 224, numClasses = 1000): number {
  // Stem: 7×7 stride-2 conv (padding 3), then a 3×3 stride-2 max-pool (padding 1).
  let side = Math.floor((imageSize + 2 * 3 - 7) / 2) + 1;
  let total = conv(64, 3, 7, side);
  side = Math.floor((side + 2 - 3) / 2) + 1;
  for (const { block, width, inChannels, outChannels, stride, downsample } of resnetBlocks(depth)) {
    const inSide = side;
    const outSide = Math.floor((inSide - 1) / stride) + 1;
    if (block === 'basic') {
      total += conv(width, inChannels, 3, outSide) + conv(width, width, 3, outSide);
    } else {
      // v1.5: the stride sits on the 3×3 conv, so conv1 runs at the input resolution.
      total += conv(width, inChannels, 1, inSide) + conv(width, width, 3, outSide) + conv(outChannels, width, 1, outSide);
    }
    if (downsample) total += conv(outChannels, inChannels, 1, outSide);
    side = outSide;
  }
  return total + featureChannels(depth) * numClasses;
}

function fileNameOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

function toEntry(source: SourceEntry): PretrainedWeights {
  const fileName = fileNameOf(source.url);
  const hasV2 = SOURCE.some((s) => s.depth === source.depth && s.variant === 'IMAGENET1K_V2');
  return {
    depth: source.depth,
    variant: source.variant,
    torchvisionName: `ResNet${source.depth}_Weights.${source.variant}`,
    fileName,
    url: source.url,
    sha256Prefix: sha256PrefixFromFileName(fileName) ?? '',
    legacyFileNames: [],
    imagenet: { top1: source.top1, top5: source.top5 },
    parameters: source.parameters,
    gflops: Math.round(resnetMultiplyAccumulates(source.depth) / 1e6) / 1e3,
    numClasses: 1000,
    preprocessing: source.variant === 'IMAGENET1K_V2' ? V2_PREPROCESSING : V1_PREPROCESSING,
    recipe: source.recipe,
    isDefault: source.variant === DEFAULT_WEIGHTS_VARIANT,
    isTorchvisionDefault: source.variant === (hasV2 ? 'IMAGENET1K_V2' : 'IMAGENET1K_V1'),
  };
}

/** Every checkpoint, by depth then variant. */
export const PRETRAINED_WEIGHTS: readonly PretrainedWeights[] = Object.freeze(
  [...SOURCE].sort((a, b) => a.depth - b.depth || a.variant.localeCompare(b.variant)).map((s) => Object.freeze(toEntry(s))),
);

/** The variants torchvision publishes for a depth (V1 everywhere, V2 for 50, 101 and 152). */
export function variantsFor(depth: ResNetDepth): WeightsVariant[] {
  return PRETRAINED_WEIGHTS.filter((w) => w.depth === depth).map((w) => w.variant);
}

/** The catalog entry, or undefined if torchvision publishes no such checkpoint. */
export function findPretrainedWeights(depth: ResNetDepth, variant: WeightsVariant = DEFAULT_WEIGHTS_VARIANT): PretrainedWeights | undefined {
  return PRETRAINED_WEIGHTS.find((w) => w.depth === depth && w.variant === variant);
}

/** The entry whose hash prefix starts the given full SHA-256 (lowercase hex), if any. */
export function findPretrainedWeightsBySha256(sha256: string): PretrainedWeights | undefined {
  const hash = sha256.toLowerCase();
  return PRETRAINED_WEIGHTS.find((w) => w.sha256Prefix.length > 0 && hash.startsWith(w.sha256Prefix));
}

/** `V1`, `v2`, `IMAGENET1K_V1` … → the variant; undefined for anything else. */
export function parseWeightsVariant(text: string): WeightsVariant | undefined {
  const upper = text.trim().toUpperCase();
  const full = upper.startsWith('IMAGENET1K_') ? upper : `IMAGENET1K_${upper}`;
  return (WEIGHTS_VARIANTS as readonly string[]).includes(full) ? (full as WeightsVariant) : undefined;
}

/** `IMAGENET1K_V2` → `V2`, for compact human output. */
export function shortVariantName(variant: WeightsVariant): string {
  return variant.replace('IMAGENET1K_', '');
}

// Every depth must have its default checkpoint; a typo in the table above fails at load, not at use.
for (const depth of RESNET_DEPTHS) {
  if (!findPretrainedWeights(depth)) throw new Error(`catalog: no ${DEFAULT_WEIGHTS_VARIANT} weights for ResNet-${depth}`);
}
