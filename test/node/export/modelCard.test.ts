/**
 * The model card names each figure for its split and decodes images as the workbench does; the
 * metadata block carries the same figures and the decoding.
 */
import { describe, expect, it } from 'vitest';
import { DECODING, metadataFromStrings, type ExportMetadata } from '../../../src-main/node/export/exportMetadata';
import { metadataStringsFromCard, modelCard } from '../../../src-main/node/export/modelCard';

const base: ExportMetadata = {
  labels: ['cat', 'dog', 'fox'],
  depth: 18,
  imageSize: 224,
  crop: 0.875,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  mode: 'linear',
  sourceWeights: 'imagenet:resnet18-f37072fd.pth',
  sourceWeightsSha256: null,
  appVersion: '0.1.0',
  runId: 'run-1',
  datasetFingerprint: 'f'.repeat(64),
  decoding: DECODING,
  metrics: {
    accuracy: 0.8,
    evalSplit: 'test',
    bestEpoch: 4,
    epochsRun: 6,
    selectEpoch: 'validation',
    validationAccuracy: 0.9,
    lastEpochValidationAccuracy: 0.85,
    testAccuracy: 0.8,
  },
};

describe('model card', () => {
  it('names the test figure (scored once), the validation figure (chose the epoch) and the last epoch', () => {
    const card = modelCard(base, 'pth', 'model.pth');
    expect(card).toContain('- Kept model: epoch 4 of 6, the best on validation.');
    expect(card).toContain('- Test accuracy: 80.00 % (the test folder, scored once, on the kept model; never used to choose anything).');
    expect(card).toMatch(/- Validation accuracy: 90\.00 % \(.*chose the epoch, so this figure is optimistic\)/);
    expect(card).toContain("- Last epoch's validation accuracy: 85.00 %.");
    const strings = metadataStringsFromCard(card)!;
    expect(JSON.parse(strings.metrics!)).toEqual(base.metrics);
    expect(metadataFromStrings(strings, 'card')?.decoding).toBe(DECODING);
  });

  it('says when the last epoch was kept and there is no validation', () => {
    const card = modelCard({ ...base, metrics: { ...base.metrics, selectEpoch: 'last', bestEpoch: 6, validationAccuracy: null, lastEpochValidationAccuracy: null } }, 'onnx', 'model.onnx');
    expect(card).toContain('- Kept model: the last epoch (6).');
    expect(card).not.toContain('Validation accuracy');
  });

  it("decodes in every snippet as the workbench does: EXIF orientation, ICC profile to sRGB", () => {
    for (const [format, file] of [['pth', 'model.pth'], ['safetensors', 'model.safetensors'], ['onnx', 'model.onnx']] as const) {
      const card = modelCard(base, format, file);
      expect(card).toContain('ImageOps.exif_transpose(image)');
      expect(card).toContain('ImageCms.profileToProfile(');
      expect(card).toContain('preprocess(load_rgb(p))');
      expect(card).not.toContain('preprocess(Image.open(p).convert("RGB"))');
    }
    const tfjs = modelCard(base, 'tfjs', 'model');
    expect(tfjs).toContain(".rotate().toColourspace('srgb')");
    expect(tfjs).toContain("imageOrientation: 'from-image'");
    expect(tfjs).toContain('Decoding (`' + DECODING + '`)');
  });

  it('keeps the old wording for runs from before the splits were named', () => {
    const card = modelCard({ ...base, metrics: { accuracy: 0.8, evalSplit: 'test', bestEpoch: 4, epochsRun: 6 } }, 'pth', 'model.pth');
    expect(card).toContain('- Accuracy on the test split: 80.00 % (best epoch 4 of 6, chosen on these same images, so optimistic).');
  });
});
