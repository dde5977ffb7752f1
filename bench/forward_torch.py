"""PyTorch side of bench/forward.ts: ms per image of torchvision ResNets in eval mode (best of --runs).

Run by bench/forward.ts with Debian's /usr/bin/python3 (python3-torch, python3-torchvision):
    /usr/bin/python3 bench/forward_torch.py --depths 18,34 --batches 1,8 --size 224 --runs 3 --threads 2
Prints one JSON object: {"torch", "torchvision", "threads", "results": [{depth, batch, msPerImage, runs}]}.
"""
import argparse
import json
import time

import torch
import torchvision


def measure(depth, batch, size, runs):
    model = getattr(torchvision.models, 'resnet%d' % depth)().eval()
    x = torch.randn(batch, 3, size, size)
    with torch.inference_mode():
        model(x)  # warm-up: allocator, kernel selection
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - started)
    # The best run: on a shared machine the others measure the other jobs as much as the model.
    return {'depth': depth, 'batch': batch, 'msPerImage': min(times) * 1000 / batch, 'runs': runs}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--depths', default='18,34,50,101,152')
    parser.add_argument('--batches', default='1,8')
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = [
        measure(int(depth), int(batch), args.size, args.runs)
        for depth in args.depths.split(',')
        for batch in args.batches.split(',')
    ]
    print(json.dumps({'torch': torch.__version__, 'torchvision': torchvision.__version__, 'threads': torch.get_num_threads(), 'results': results}))


if __name__ == '__main__':
    main()
