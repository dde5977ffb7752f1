"""PyTorch reference for the optimizers: a linear classifier trained a few steps with cross-entropy.

Run with Debian's PyTorch: /usr/bin/python3 test/reference/make_optimizer_reference.py OUT.json
Inputs and initial weights are simple closed forms that the TypeScript test computes identically.
"""
import json
import math
import sys

import torch

N, C, K = 6, 4, 3


def inputs():
    x = torch.tensor([[math.sin(0.7 * i + 0.3 * j) for j in range(C)] for i in range(N)], dtype=torch.float32)
    y = torch.tensor([i % K for i in range(N)], dtype=torch.long)
    return x, y


def initial():
    w = torch.tensor([[0.1 * math.cos(1.3 * o + 0.5 * i) for i in range(C)] for o in range(K)], dtype=torch.float32)
    b = torch.tensor([0.05 * o for o in range(K)], dtype=torch.float32)
    return w, b


def run(make_optimizer, lrs):
    x, y = inputs()
    layer = torch.nn.Linear(C, K)
    w, b = initial()
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)
    opt = make_optimizer(layer.parameters())
    steps = []
    for lr in lrs:
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(layer(x), y)
        loss.backward()
        opt.step()
        steps.append({
            "loss": loss.item(),
            # Stored as [in, out] like a tfjs Dense kernel.
            "kernel": layer.weight.detach().t().contiguous().flatten().tolist(),
            "bias": layer.bias.detach().flatten().tolist(),
        })
    return steps


def main():
    lrs = [0.1, 0.05, 0.05, 0.02, 0.01]
    out = {
        "torch": torch.__version__.split("+")[0],
        "lrs": lrs,
        "adam": run(lambda p: torch.optim.Adam(p, lr=lrs[0], weight_decay=0.01), lrs),
        "sgd": run(lambda p: torch.optim.SGD(p, lr=lrs[0], momentum=0.9, weight_decay=1e-3), lrs),
    }
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
