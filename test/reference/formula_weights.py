"""Deterministic test weights and images, computed bit-for-bit like test/support/formulaWeights.ts.

Both sides derive every value from a 32-bit integer hash of (stream, element index), so only the
expected outputs of PyTorch need to be committed, never the weights. Every value is produced as an
exactly computed float64 and rounded to float32 once, which IEEE arithmetic makes identical in
JavaScript (Math.fround) and numpy (astype(float32)).

The scales keep activations of order one through all 152 layers: He-scaled convs, BatchNorm near
identity, and a small scale on the last BatchNorm of each residual branch so the residual stream grows
slowly, as in a trained network.
"""
import math
import re
from collections import OrderedDict

import numpy as np

MASK32 = 0xFFFFFFFF
IMAGE_STREAM = 0x10000
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _u32(value):
    return np.uint32(value & MASK32)


def formula_hash(stream, count):
    """uint32 hashes of (stream, 0..count-1): a multiply-add seed, then the lowbias32 finalizer."""
    index = np.arange(count, dtype=np.uint32)
    x = index * _u32(0x85EBCA77) + _u32(stream * 0x9E3779B1 + 0x165667B1)
    x ^= x >> np.uint32(16)
    x *= _u32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= _u32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def formula_uniform(stream, count):
    """float64 values in [-1, 1) with 24 significant bits, so each is exact in float32."""
    top24 = (formula_hash(stream, count) >> np.uint32(8)).astype(np.float64)
    return (top24 - 8388608.0) / 8388608.0


def _f32(value):
    return float(np.float32(value))


def _entry_rule(key, shape, bottleneck):
    """(offset, scale) of one state-dict entry; value = float32(offset + uniform * float32(scale))."""
    last_bn = 'bn3' if bottleneck else 'bn2'
    if key == 'fc.weight':
        return 0.0, _f32(math.sqrt(3.0 / shape[1]))
    if key == 'fc.bias':
        return 0.0, _f32(0.1)
    if len(shape) == 4:
        return 0.0, _f32(math.sqrt(6.0 / (shape[1] * shape[2] * shape[3])))
    if key.endswith('.running_mean'):
        return 0.0, _f32(0.1)
    if key.endswith('.running_var'):
        return 1.0, _f32(0.5)
    if key.endswith('.bias'):
        return 0.0, _f32(0.1)
    if key.endswith('.weight'):
        if re.match(r'^layer\d+\.\d+\.' + last_bn + r'\.weight$', key):
            return 0.2, _f32(0.1)
        return 1.0, _f32(0.25)
    raise ValueError('no formula for ' + key)


def formula_state_dict(model):
    """A state dict for `model` (a torchvision ResNet): entry i of its state_dict() uses hash stream i."""
    import torch

    template = model.state_dict()
    bottleneck = any('.conv3.' in key for key in template)
    out = OrderedDict()
    for stream, (key, tensor) in enumerate(template.items()):
        shape = tuple(tensor.shape)
        if key.endswith('num_batches_tracked'):
            out[key] = torch.tensor(0, dtype=torch.int64)
            continue
        offset, scale = _entry_rule(key, shape, bottleneck)
        count = int(np.prod(shape)) if shape else 1
        values = (offset + formula_uniform(stream, count) * scale).astype(np.float32)
        out[key] = torch.from_numpy(values.reshape(shape))
    return out


def formula_pixels(count, size):
    """uint8 images [count, size, size, 3] (HWC); image n uses hash stream IMAGE_STREAM + n."""
    images = [(formula_hash(IMAGE_STREAM + n, size * size * 3) >> np.uint32(24)).astype(np.uint8) for n in range(count)]
    return np.stack(images).reshape(count, size, size, 3)


def formula_images(count, size):
    """Normalized float32 NCHW batch, computed like torchvision's ToTensor + Normalize (float32)."""
    pixels = formula_pixels(count, size).astype(np.float32) / np.float32(255)
    mean = np.array(IMAGENET_MEAN, dtype=np.float32)
    std = np.array(IMAGENET_STD, dtype=np.float32)
    normalized = (pixels - mean) / std
    return np.ascontiguousarray(normalized.transpose(0, 3, 1, 2))
