"""torchvision references for the ResNet engine, computed by PyTorch itself.

Default mode writes test/fixtures/reference/resnet_logits.json: each
torchvision.models.resnetN(num_classes=10) gets the formula weights of formula_weights.py (loaded
with strict=True), runs in eval mode on a batch of formula images, and its logits are stored. The
TypeScript tests compute the same weights and images and must reproduce these logits.

`checkpoints OUT_DIR DEPTH...` mode is independent of the formula: it writes real checkpoints of
seeded random torchvision models in every format users bring (zip .pth, legacy .pth, safetensors),
two PNG images, and manifest.json with torchvision's logits for those images, for an end-to-end check
of `resnet-workbench predict`.

Run with Debian's PyTorch:
  /usr/bin/python3 test/reference/make_resnet_reference.py [OUT.json]
  /usr/bin/python3 test/reference/make_resnet_reference.py checkpoints OUT_DIR 18 50
"""
import json
import os
import re
import struct
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from formula_weights import formula_hash, formula_images, formula_pixels, formula_state_dict  # noqa: E402

DEPTHS = (18, 34, 50, 101, 152)
NUM_CLASSES = 10
IMAGE_COUNT = 2
IMAGE_SIZE = 64
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'reference', 'resnet_logits.json')


def logits_for(depth, images):
    model = getattr(torchvision.models, 'resnet%d' % depth)(num_classes=NUM_CLASSES)
    model.load_state_dict(formula_state_dict(model), strict=True)
    model.eval()
    with torch.no_grad():
        return model(images).double().tolist()


def formula_samples():
    """A few raw formula values, so a disagreement between the two implementations shows up directly."""
    model = torchvision.models.resnet18(num_classes=NUM_CLASSES)
    weights = formula_state_dict(model)
    return {
        'hashStream7': [int(v) for v in formula_hash(7, 4)],
        'resnet18Conv1Weight': [float(v) for v in weights['conv1.weight'].flatten()[:4]],
        'resnet18Bn1RunningVar': [float(v) for v in weights['bn1.running_var'][:4]],
        'resnet18FcWeight': [float(v) for v in weights['fc.weight'].flatten()[:4]],
        'pixels': [int(v) for v in formula_pixels(IMAGE_COUNT, IMAGE_SIZE).reshape(-1)[:8]],
    }


def randomize_batch_norms(model, depth):
    """torchvision initializes BatchNorm as the identity; random statistics make the check meaningful.
    The last BatchNorm of each residual branch stays small so activations stay sane at depth 152."""
    last = 'bn3' if depth >= 50 else 'bn2'
    with torch.no_grad():
        for name, module in model.named_modules():
            if not isinstance(module, torch.nn.BatchNorm2d):
                continue
            if re.match(r'^layer\d+\.\d+\.' + last + '$', name):
                module.weight.uniform_(0.1, 0.3)
            else:
                module.weight.uniform_(0.5, 1.5)
            module.bias.uniform_(-0.1, 0.1)
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            # Any count: readers must ignore it.
            module.num_batches_tracked.fill_(1234)


SAFETENSORS_DTYPES = {torch.float32: 'F32', torch.int64: 'I64', torch.float16: 'F16', torch.float64: 'F64'}


def save_safetensors(state_dict, path):
    """The safetensors format by hand (8-byte header length, JSON header, raw little-endian data)."""
    header = {'__metadata__': {'format': 'pt'}}
    chunks = []
    offset = 0
    for key, tensor in state_dict.items():
        data = tensor.detach().contiguous().numpy().tobytes()
        header[key] = {'dtype': SAFETENSORS_DTYPES[tensor.dtype], 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(',', ':')).encode('utf-8')
    encoded += b' ' * (-len(encoded) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


def write_images(out_dir):
    from PIL import Image

    rng = np.random.default_rng(2024)
    paths = []
    for n in range(IMAGE_COUNT):
        path = os.path.join(out_dir, 'image%d.png' % n)
        Image.fromarray(rng.integers(0, 256, size=(IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8), 'RGB').save(path)
        paths.append(path)
    return paths


def torchvision_batch(paths):
    """The images as torchvision's own eval pipeline sees them: ToTensor + Normalize(ImageNet)."""
    from PIL import Image
    from torchvision import transforms

    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
    return torch.stack([pipeline(Image.open(p).convert('RGB')) for p in paths])


def write_checkpoints(out_dir, depths):
    os.makedirs(out_dir, exist_ok=True)
    images = write_images(out_dir)
    batch = torchvision_batch(images)
    manifest = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'images': images, 'depths': {}}
    for depth in depths:
        torch.manual_seed(depth)
        model = getattr(torchvision.models, 'resnet%d' % depth)(num_classes=NUM_CLASSES)
        randomize_batch_norms(model, depth)
        model.eval()
        with torch.no_grad():
            logits = model(batch).double().tolist()
        state_dict = model.state_dict()
        files = {
            'zip': os.path.join(out_dir, 'resnet%d.pth' % depth),
            'legacy': os.path.join(out_dir, 'resnet%d-legacy.pth' % depth),
            'safetensors': os.path.join(out_dir, 'resnet%d.safetensors' % depth),
        }
        torch.save(state_dict, files['zip'])
        torch.save(state_dict, files['legacy'], _use_new_zipfile_serialization=False)
        save_safetensors(state_dict, files['safetensors'])
        manifest['depths'][str(depth)] = {'files': files, 'logits': logits}
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'checkpoints':
        torch.set_num_threads(min(2, torch.get_num_threads()))
        write_checkpoints(sys.argv[2], [int(d) for d in sys.argv[3:]] or list(DEPTHS))
        return
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    torch.set_num_threads(min(2, torch.get_num_threads()))
    images = torch.from_numpy(formula_images(IMAGE_COUNT, IMAGE_SIZE))
    reference = {
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'numClasses': NUM_CLASSES,
        'imageCount': IMAGE_COUNT,
        'imageSize': IMAGE_SIZE,
        'formula': formula_samples(),
        'logits': {str(depth): logits_for(depth, images) for depth in DEPTHS},
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(reference, f, indent=1)
        f.write('\n')
    os.replace(tmp, out_path)
    print('wrote', out_path)


if __name__ == '__main__':
    np.seterr(over='ignore')
    main()
