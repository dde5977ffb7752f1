"""Write test/fixtures/reference/resnet_logits.json: torchvision's logits for every ResNet depth.

Each torchvision.models.resnetN(num_classes=10) gets the formula weights of formula_weights.py
(loaded with strict=True), runs in eval mode on a batch of formula images, and its logits are
stored. The TypeScript tests compute the same weights and images and must reproduce these logits.

Run with Debian's PyTorch:  /usr/bin/python3 test/reference/make_resnet_reference.py [OUT.json]
"""
import json
import os
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


def main():
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
