"""torchvision side of bench/decode.ts: ImageFolder + DataLoader over the same folder, one transform.

Run by bench/decode.ts with Debian's /usr/bin/python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 bench/decode_torch.py ROOT --transform eval|train --workers 2 --batch-size 32 --epochs 2 [--dump FILE]
Prints one JSON object: images/s (wall) and CPU milliseconds per image, the DataLoader's worker
processes included (read from /proc, Linux only). --dump writes the first batch of the eval
transform (NCHW float32, little-endian), so the caller can check the outputs are identical.
"""
import argparse
import json
import os
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """User + system CPU time of these processes (this one included), from /proc/PID/stat."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def worker_pids(iterator):
    return [w.pid for w in getattr(iterator, "_workers", [])]


def measure(root, transform, workers, batch_size, epochs, shuffle):
    dataset = datasets.ImageFolder(root, transform=transform)
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers, shuffle=shuffle, persistent_workers=workers > 0)
    # One warm-up epoch starts the workers and fills the OS file cache, as on the Node side.
    for _ in loader:
        pass
    pids = [os.getpid()] + worker_pids(loader._iterator)
    count = 0
    cpu_before = cpu_seconds(pids)
    started = time.perf_counter()
    for _ in range(epochs):
        for images, labels in loader:
            count += images.shape[0]
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pids) - cpu_before
    return {"images": count, "seconds": seconds, "imagesPerSecond": count / seconds, "cpuMsPerImage": 1000 * cpu / count}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--transform", choices=["eval", "train"], required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--dump")
    args = parser.parse_args()
    torch.manual_seed(0)
    normalize = transforms.Normalize(MEAN, STD)
    eval_transform = transforms.Compose(
        [transforms.Resize(round(args.size / 0.875)), transforms.CenterCrop(args.size), transforms.ToTensor(), normalize]
    )
    train_transform = transforms.Compose(
        [transforms.RandomResizedCrop(args.size), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize]
    )
    transform = eval_transform if args.transform == "eval" else train_transform
    result = {
        "torch": torch.__version__,
        "torchvision": __import__("torchvision").__version__,
        "workers": args.workers,
        "measured": measure(args.root, transform, args.workers, args.batch_size, args.epochs, args.transform == "train"),
    }
    if args.dump:
        loader = DataLoader(datasets.ImageFolder(args.root, transform=eval_transform), batch_size=args.batch_size, shuffle=False)
        first, _ = next(iter(loader))
        with open(args.dump, "wb") as f:
            f.write(first.contiguous().numpy().astype("<f4").tobytes())
        result["dumpedImages"] = int(first.shape[0])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
