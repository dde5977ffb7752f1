"""PyTorch side of bench/finetune.ts: fine-tuning throughput (images per second) of torchvision ResNets.

One training step = forward of the whole network in eval mode (frozen BatchNorm statistics, as the
workbench does), backward to the unfrozen stages and the head, an Adam step. Prints one JSON line per
depth. Run with Debian's PyTorch: /usr/bin/python3 bench/finetune_torch.py --depths 18,50 --size 224 --batch 8
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--depths", default="18,34,50,101,152")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--unfreeze", default="layer4")
    args = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    for depth in [int(d) for d in args.depths.split(",")]:
        model = getattr(torchvision.models, f"resnet{depth}")(num_classes=10).eval()
        prefixes = {"layer4": ("layer4.", "fc."), "layer3": ("layer3.", "layer4.", "fc."), "all": ("",)}[args.unfreeze]
        params = []
        for name, param in model.named_parameters():
            param.requires_grad = name.startswith(prefixes)
            if param.requires_grad:
                params.append(param)
        opt = torch.optim.Adam(params, lr=1e-4)
        x = torch.randn(args.batch, 3, args.size, args.size)
        y = torch.randint(0, 10, (args.batch,))

        def step():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        step()  # warm-up
        started = time.perf_counter()
        for _ in range(args.steps):
            step()
        seconds = (time.perf_counter() - started) / args.steps
        print(json.dumps({"depth": depth, "imagesPerSecond": args.batch / seconds, "secondsPerStep": seconds}), flush=True)


if __name__ == "__main__":
    main()
