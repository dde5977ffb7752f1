/**
 * The model card: a Markdown page beside each export saying what the model is, how to feed it and
 * how well it did, with preprocessing and inference snippets that run as written (the reference
 * tests run the PyTorch one). Each snippet is a script: image paths in, one JSON line per image out.
 */
import { metadataToStrings, type ExportMetadata } from './exportMetadata';

export const EXPORT_FORMATS = ['tfjs', 'onnx', 'pth', 'safetensors'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Decoding as the workbench does it (dataset/decode.ts, see DECODING): EXIF orientation applied, an
 * embedded ICC profile converted to sRGB with the perceptual intent (libvips and Pillow both use
 * Little CMS), alpha dropped. `Image.open(p).convert("RGB")` alone does neither, and a rotated
 * wide-gamut phone photo then gives other pixels than the ones the model was trained on.
 */
export const PYTHON_LOAD_RGB = `SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

def load_rgb(path):
    # As the workbench decodes: EXIF orientation applied, embedded ICC profile -> sRGB (perceptual), alpha dropped.
    image = Image.open(path)
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if icc:
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB, renderingIntent=0, outputMode="RGB")
        except ImageCms.PyCMSError:
            pass  # an unusable profile is ignored, as the workbench does
    return image.convert("RGB")`;

/** torchvision eval preprocessing, as the run applied it (see dataset/transforms.ts). */
function pythonPreprocess(m: ExportMetadata): string {
  const resize = m.crop >= 1 ? `T.Resize((${m.imageSize}, ${m.imageSize}))` : `T.Resize(round(${m.imageSize} / ${m.crop})), T.CenterCrop(${m.imageSize})`;
  return `${PYTHON_LOAD_RGB}

preprocess = T.Compose([${resize}, T.ToTensor(), T.Normalize(${JSON.stringify(m.mean)}, ${JSON.stringify(m.std)})])
LABELS = ${JSON.stringify(m.labels)}

def images(paths):
    return torch.stack([preprocess(load_rgb(p)) for p in paths])  # NCHW float32

def report(paths, logits):
    probabilities = torch.as_tensor(logits).softmax(dim=1)
    for path, p in zip(paths, probabilities):
        top = p.argsort(descending=True)[:5]
        print(json.dumps({"file": path, "top": [{"label": LABELS[i], "probability": float(p[i])} for i in top]}))`;
}

export const SAFETENSORS_LOADER = `def load_safetensors(path):
    # The safetensors layout: 8-byte little-endian header length, JSON header, raw tensor bytes.
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = bytearray(data[8 + n + start : 8 + n + end])
        state[name] = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]).reshape(info["shape"]).clone()
    return state, header.get("__metadata__", {})`;

function pytorchSnippet(m: ExportMetadata, fileName: string, format: 'pth' | 'safetensors'): string {
  const load =
    format === 'pth'
      ? `model.load_state_dict(torch.load(MODEL, map_location="cpu"), strict=True)`
      : `state, metadata = load_safetensors(MODEL)\nmodel.load_state_dict(state, strict=True)`;
  return `import io, json, struct, sys
import torch, torchvision
import torchvision.transforms as T
from PIL import Image, ImageCms, ImageOps

MODEL = ${JSON.stringify(fileName)}
${format === 'safetensors' ? `\n${SAFETENSORS_LOADER}\n` : ''}
${pythonPreprocess(m)}

model = torchvision.models.resnet${m.depth}(num_classes=${m.labels.length})
${load}
model.eval()
paths = sys.argv[1:]
with torch.no_grad():
    report(paths, model(images(paths)))`;
}

function onnxSnippet(m: ExportMetadata, fileName: string): string {
  return `import io, json, sys
import numpy as np
import onnxruntime as ort
import torch
import torchvision.transforms as T
from PIL import Image, ImageCms, ImageOps

MODEL = ${JSON.stringify(fileName)}

${pythonPreprocess(m)}

session = ort.InferenceSession(MODEL, providers=["CPUExecutionProvider"])
paths = sys.argv[1:]
(logits,) = session.run(["logits"], {"input": images(paths).numpy()})
report(paths, logits)`;
}

/** What users install to run the snippet (named apart so the built engine's text holds no import of it). */
const TFJS_PACKAGE = '@tensorflow/tfjs';

function tfjsSnippet(m: ExportMetadata, folderName: string): string {
  const resize = m.crop >= 1 ? `${m.imageSize}` : `Math.round(${m.imageSize} / ${m.crop})`;
  return `// Browser: tf.loadLayersModel('${folderName}/model.json') from wherever you serve the folder.
// Node without tfjs-node: read the files and hand them to tf.io.fromMemory, as here.
import { readFileSync } from 'node:fs';
import * as tf from '${TFJS_PACKAGE}';

const folder = ${JSON.stringify(folderName)};
const json = JSON.parse(readFileSync(\`\${folder}/model.json\`, 'utf8'));
const weightData = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(\`\${folder}/\${p}\`))));
const model = await tf.loadLayersModel(tf.io.fromMemory({
  modelTopology: json.modelTopology,
  weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
  weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
}));
const labels = ${JSON.stringify(m.labels)};
const mean = ${JSON.stringify(m.mean)}, std = ${JSON.stringify(m.std)};

// Decode as the workbench does: EXIF orientation applied, embedded ICC profile -> sRGB, alpha dropped.
// In Node with sharp: await sharp(file).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true })
// In a browser: createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'default' }).
// pixels: an HWC RGB Uint8Array/tensor of that image resized so its shorter side is ${resize} (bilinear),
// then center-cropped to ${m.imageSize} x ${m.imageSize}. Input is NHWC.
function classify(pixels) {
  return tf.tidy(() => {
    const x = tf.tensor3d(pixels, [${m.imageSize}, ${m.imageSize}, 3], 'float32').div(255).sub(mean).div(std).expandDims(0);
    const probabilities = tf.softmax(model.predict(x)).dataSync();
    return [...probabilities].map((probability, i) => ({ label: labels[i], probability })).sort((a, b) => b.probability - a.probability).slice(0, 5);
  });
}`;
}

function percent(x: number | null): string {
  return x === null ? 'not recorded' : `${(x * 100).toFixed(2)} %`;
}

/** The results, each figure named for its split (validation chose the epoch; test was scored once). */
function resultLines(m: ExportMetadata): string[] {
  const r = m.metrics;
  if (r.validationAccuracy === undefined && r.testAccuracy === undefined) {
    // A run from before the splits were named: its one figure chose the epoch it reports.
    return [`- Accuracy on the ${r.evalSplit ?? 'evaluation'} split: ${percent(r.accuracy)} (best epoch ${r.bestEpoch ?? '?'} of ${r.epochsRun ?? '?'}, chosen on these same images, so optimistic).`];
  }
  const kept = r.selectEpoch === 'last' || r.validationAccuracy === null ? `the last epoch (${r.epochsRun ?? '?'})` : `epoch ${r.bestEpoch ?? '?'} of ${r.epochsRun ?? '?'}, the best on validation`;
  const lines = [`- Kept model: ${kept}.`];
  if (r.testAccuracy !== null && r.testAccuracy !== undefined) lines.push(`- Test accuracy: ${percent(r.testAccuracy)} (the test folder, scored once, on the kept model; never used to choose anything).`);
  if (r.validationAccuracy !== null && r.validationAccuracy !== undefined) {
    lines.push(`- Validation accuracy: ${percent(r.validationAccuracy)} (images held out of the train folder; they chose the epoch, so this figure is optimistic).`);
    lines.push(`- Last epoch's validation accuracy: ${percent(r.lastEpochValidationAccuracy ?? null)}.`);
  }
  return lines;
}

/** The card's Markdown. `fileName` is the export's name as the snippets refer to it. */
export function modelCard(m: ExportMetadata, format: ExportFormat, fileName: string): string {
  const input = format === 'tfjs' ? `[N, ${m.imageSize}, ${m.imageSize}, 3] (NHWC)` : `[N, 3, ${m.imageSize}, ${m.imageSize}] (NCHW), named \`input\``;
  const snippets: string[] = [];
  if (format === 'pth' || format === 'safetensors') snippets.push('## PyTorch (Python)', '', '```python', pytorchSnippet(m, fileName, format), '```');
  if (format === 'onnx') snippets.push('## ONNX Runtime (Python)', '', '```python', onnxSnippet(m, fileName), '```');
  if (format === 'tfjs') snippets.push('## TensorFlow.js (JavaScript)', '', '```js', tfjsSnippet(m, fileName), '```');
  const crop = m.crop >= 1 ? `resize to ${m.imageSize} × ${m.imageSize}` : `resize the shorter side to round(${m.imageSize} / ${m.crop}) = ${Math.round(m.imageSize / m.crop)}, center-crop ${m.imageSize} × ${m.imageSize}`;
  return [
    `# ResNet-${m.depth} classifier (${m.labels.length} classes)`,
    '',
    `Exported by resnet-workbench ${m.appVersion} from run \`${m.runId}\` as **${format}** (\`${fileName}\`).`,
    '',
    '## Labels (output order)',
    '',
    ...m.labels.map((label, i) => `${i}. ${label}`),
    '',
    '## Input and preprocessing',
    '',
    `- Input: float32 ${input}; output: logits \`[N, ${m.labels.length}]\` in label order (softmax for probabilities).`,
    `- Decoding (\`${m.decoding}\`): EXIF orientation applied, an embedded ICC colour profile converted to sRGB (perceptual intent), alpha dropped, 8-bit RGB. The snippets below do the same; \`Image.open(p).convert("RGB")\` alone does not.`,
    `- RGB image → ${crop} (bilinear, as Pillow) → values / 255 → (x − mean) / std per channel.`,
    `- mean ${JSON.stringify(m.mean)}, std ${JSON.stringify(m.std)}.`,
    '',
    '## Training and results',
    '',
    `- Mode: ${m.mode}; starting weights: ${m.sourceWeights}${m.sourceWeightsSha256 ? ` (SHA-256 ${m.sourceWeightsSha256})` : ''}.`,
    ...resultLines(m),
    `- Dataset fingerprint: \`${m.datasetFingerprint}\`.`,
    '',
    ...snippets,
    '',
    '## Metadata',
    '',
    'The same pairs are stored in the model file where the format allows (safetensors `__metadata__`, ONNX `metadata_props`, tfjs `userDefinedMetadata`).',
    '',
    '```json',
    JSON.stringify(metadataToStrings(m), null, 2),
    '```',
    '',
  ].join('\n');
}

/** The metadata block of a card written by modelCard, or undefined. */
export function metadataStringsFromCard(markdown: string): Record<string, string> | undefined {
  const match = /## Metadata[\s\S]*?```json\n([\s\S]*?)\n```/.exec(markdown);
  if (!match) return undefined;
  try {
    return JSON.parse(match[1] as string) as Record<string, string>;
  } catch {
    return undefined;
  }
}
