"""torchvision reference for one fine-tune run of the workbench: two SGD steps of layer4 and the head.

torchvision.models.resnet18(num_classes=10) gets the formula weights of formula_weights.py, runs in
eval mode (BatchNorm on its running statistics, as the workbench fine-tunes), and trains layer4 and
fc with SGD (momentum 0.9) in two parameter groups: fc at LR, layer4 at LR x BACKBONE_LR_SCALE. Two
steps on two batches of formula images at 64 px, where layer4.0.conv1 is a 3x3 stride-2 convolution
on a padded 4x4 input. Plain SGD keeps the update proportional to the gradient, so the check sees
gradient errors that Adam's first, sign-like step would hide.

Writes test/fixtures/reference/finetune_step.json: the two losses and, for a few parameters, the
change of about SAMPLES evenly spaced elements (flattened in PyTorch's layout: every `stride`-th) and the sum of absolute changes.

Run with Debian's PyTorch: /usr/bin/python3 test/reference/make_finetune_reference.py [OUT.json]
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from formula_weights import formula_images, formula_state_dict  # noqa: E402

NUM_CLASSES = 10
IMAGE_SIZE = 64
BATCH = 4
STEPS = 2
LR = 0.002
BACKBONE_LR_SCALE = 0.1
MOMENTUM = 0.9
SAMPLES = 256
CHECKED = (
    'layer4.0.conv1.weight',
    'layer4.0.bn1.weight',
    'layer4.0.bn1.bias',
    'layer4.0.conv2.weight',
    'layer4.0.downsample.0.weight',
    'layer4.0.downsample.1.weight',
    'layer4.1.conv1.weight',
    'layer4.1.conv2.weight',
    'layer4.1.bn2.bias',
    'fc.weight',
    'fc.bias',
)
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'reference', 'finetune_step.json')


def labels_for(step):
    return torch.tensor([(step * BATCH + i) % NUM_CLASSES for i in range(BATCH)], dtype=torch.long)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model = torchvision.models.resnet18(num_classes=NUM_CLASSES)
    model.load_state_dict(formula_state_dict(model), strict=True)
    model.eval()
    head, backbone = [], []
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith(('layer4.', 'fc.'))
        if param.requires_grad:
            (head if name.startswith('fc.') else backbone).append(param)
    opt = torch.optim.SGD(
        [{'params': head, 'lr': LR}, {'params': backbone, 'lr': LR * BACKBONE_LR_SCALE}],
        lr=LR,
        momentum=MOMENTUM,
    )
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    images = torch.from_numpy(formula_images(BATCH * STEPS, IMAGE_SIZE))
    losses = []
    for step in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images[step * BATCH:(step + 1) * BATCH]), labels_for(step))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    after = model.state_dict()
    changes = {}
    for key in CHECKED:
        delta = (after[key].double() - before[key].double()).flatten()
        stride = -(-delta.numel() // SAMPLES)
        # Coprime to the small factors of every dimension, so samples cover all channels and taps.
        while math.gcd(stride, 2 * 3 * 5 * 7) != 1:
            stride += 1
        changes[key] = {'stride': stride, 'sampled': delta[::stride].tolist(), 'absSum': float(delta.abs().sum())}
    reference = {
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'numClasses': NUM_CLASSES,
        'imageSize': IMAGE_SIZE,
        'batch': BATCH,
        'steps': STEPS,
        'lr': LR,
        'backboneLrScale': BACKBONE_LR_SCALE,
        'momentum': MOMENTUM,
        'losses': losses,
        'changes': changes,
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
