"""torchvision side of bench/decode.ts: ImageFolder + DataLoader over the same folder.

Run by bench/decode.ts with Debian's /usr/bin/python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 bench/decode_torch.py ROOT --workers 2 --batch-size 32 --epochs 2 [--dump FILE]
Prints one JSON object: images/s per transform. --dump writes the eval tensor of the first image
(CHW float32, little-endian) so the caller can compare preprocessing numerically.
"""
import argparse
import json
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def measure(root, transform, workers, batch_size, epochs, shuffle):
    dataset = datasets.ImageFolder(root, transform=transform)
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers, shuffle=shuffle, persistent_workers=workers > 0)
    # One warm-up epoch starts the workers and fills the OS file cache, as on the Node side.
    for _ in loader:
        pass
    count = 0
    started = time.perf_counter()
    for _ in range(epochs):
        for images, labels in loader:
            count += images.shape[0]
    seconds = time.perf_counter() - started
    return {"images": count, "seconds": seconds, "imagesPerSecond": count / seconds}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
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
    result = {
        "torch": torch.__version__,
        "torchvision": __import__("torchvision").__version__,
        "workers": args.workers,
        "eval": measure(args.root, eval_transform, args.workers, args.batch_size, args.epochs, False),
        "train": measure(args.root, train_transform, args.workers, args.batch_size, args.epochs, True),
    }
    if args.dump:
        first, _ = datasets.ImageFolder(args.root, transform=eval_transform)[0]
        with open(args.dump, "wb") as f:
            f.write(first.contiguous().numpy().astype("<f4").tobytes())
        result["dumpedPath"] = datasets.ImageFolder(args.root).samples[0][0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
