/** Per-channel input normalization, `(x / 255 - mean) / std`, as in torchvision's transforms. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** ImageNet statistics, used by every torchvision ImageNet checkpoint. */
export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};
