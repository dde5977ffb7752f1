/**
 * What travels with an exported model: everything another tool needs to feed it images the way the
 * run did and to name its outputs. Stored as flat string pairs (safetensors `__metadata__`, ONNX
 * `metadata_props`, tfjs `userDefinedMetadata`), each value a plain string or JSON.
 */
import { WorkbenchError } from '../../common/errors';
import { RESNET_DEPTHS, type ResNetDepth } from '../../common/resnetSpec';

export interface ExportMetadata {
  /** Class names in output order (the run's sorted class folder names). */
  labels: string[];
  depth: ResNetDepth;
  /** Input side in pixels after resize and center crop. */
  imageSize: number;
  /** Center-crop fraction: resize the shorter side to round(imageSize / crop), then crop imageSize. */
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** 'linear' (frozen backbone, new head) or 'finetune'. */
  mode: string;
  /** The backbone's starting weights: 'none', 'imagenet:<file>' or a path. */
  sourceWeights: string;
  sourceWeightsSha256: string | null;
  appVersion: string;
  runId: string;
  /** SHA-256 over the data set as the run used it (the images trained and evaluated on, skipped files left out). */
  datasetFingerprint: string;
  /** How image files become RGB pixels before resizing (see DECODING). */
  decoding: string;
  /** Final figures, each named for its split. */
  metrics: ExportMetrics;
}

/**
 * The decoding every part of the workbench applies (training, predictions, thumbnails) and the model
 * card's snippets reproduce: EXIF orientation applied; an embedded ICC profile converted to sRGB;
 * alpha dropped; 8-bit RGB.
 */
export const DECODING = 'exif-orientation-applied; icc-profile-to-srgb; alpha-dropped; 8-bit-rgb';

export interface ExportMetrics {
  /** The headline accuracy: test when there is a test folder, else validation. */
  accuracy: number | null;
  /** The split of `accuracy`. */
  evalSplit: string | null;
  /** The kept epoch. */
  bestEpoch: number | null;
  epochsRun: number | null;
  /** How the kept epoch was chosen: 'validation' (best validation accuracy) or 'last'. Null for runs from before splits were named. */
  selectEpoch?: string | null;
  /** The kept model on the validation split (it chose the epoch, so optimistic); null without one. */
  validationAccuracy?: number | null;
  /** The last epoch's validation accuracy; null without a validation split. */
  lastEpochValidationAccuracy?: number | null;
  /** The kept model on the test folder, scored once after training; null without a test folder. */
  testAccuracy?: number | null;
}

/** Key under which a metadata map says what it is, so files from other tools are told apart. */
export const METADATA_FORMAT_KEY = 'format';
export const METADATA_FORMAT = 'resnet-workbench/export-v1';

/** Flat string pairs for a file format's metadata slot. */
export function metadataToStrings(m: ExportMetadata): Record<string, string> {
  return {
    [METADATA_FORMAT_KEY]: METADATA_FORMAT,
    labels: JSON.stringify(m.labels),
    depth: String(m.depth),
    imageSize: String(m.imageSize),
    crop: String(m.crop),
    mean: JSON.stringify(m.mean),
    std: JSON.stringify(m.std),
    inputLayout: 'normalized RGB float32; NCHW (onnx, pth, safetensors) or NHWC (tfjs)',
    output: 'logits, one per label in labels order',
    mode: m.mode,
    sourceWeights: m.sourceWeights,
    sourceWeightsSha256: m.sourceWeightsSha256 ?? '',
    appVersion: m.appVersion,
    runId: m.runId,
    datasetFingerprint: m.datasetFingerprint,
    decoding: m.decoding,
    metrics: JSON.stringify(m.metrics),
  };
}

function triple(text: string | undefined, key: string): [number, number, number] {
  const value = JSON.parse(text ?? 'null') as unknown;
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number')) {
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `The model's metadata has no valid ${key} (expected three numbers, found ${text ?? 'nothing'}).`);
  }
  return value as [number, number, number];
}

/** Reads back what metadataToStrings wrote; undefined when the map was not written by an export. */
export function metadataFromStrings(s: Readonly<Record<string, string>>, label: string): ExportMetadata | undefined {
  if (s[METADATA_FORMAT_KEY] !== METADATA_FORMAT) return undefined;
  try {
    const depth = Number(s.depth);
    if (!(RESNET_DEPTHS as readonly number[]).includes(depth)) throw new Error(`depth ${s.depth} is not a ResNet depth`);
    const labels = JSON.parse(s.labels ?? 'null') as unknown;
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) throw new Error('labels is not a list of names');
    return {
      labels,
      depth: depth as ResNetDepth,
      imageSize: Number(s.imageSize),
      crop: Number(s.crop),
      mean: triple(s.mean, 'mean'),
      std: triple(s.std, 'std'),
      mode: s.mode ?? '',
      sourceWeights: s.sourceWeights ?? '',
      sourceWeightsSha256: s.sourceWeightsSha256 || null,
      appVersion: s.appVersion ?? '',
      runId: s.runId ?? '',
      datasetFingerprint: s.datasetFingerprint ?? '',
      // Exports from before the decoding was recorded decoded the same way.
      decoding: s.decoding ?? DECODING,
      metrics: JSON.parse(s.metrics ?? '{}') as ExportMetrics,
    };
  } catch (error) {
    if (error instanceof WorkbenchError) throw error;
    throw new WorkbenchError('CHECKPOINT_CORRUPT', `${label} has export metadata that cannot be read: ${(error as Error).message}.`);
  }
}
