"""The reference transfer-learning recipe, ported as it is, flaws included: the baseline of bench/seed-compare.ts.

A ResNet-18 with every parameter frozen and `fc` replaced by a new nn.Linear(512, classes), trained with
Adam (lr 1e-3) on fc only, batch size 15, 10 epochs. Kept exactly as the reference does it, because this
is what the workbench is measured against:
  - the frozen backbone runs on every image in every epoch (nothing is cached);
  - the model is never put in eval mode, so BatchNorm normalizes with batch statistics and keeps
    updating its running statistics, in training and in the test loop;
  - the input is not normalized (Resize 224 + ToTensor only);
  - the test loop also calls loss.backward() and optimizer.step() on the test batches, so the head keeps
    learning from test images while it is being scored: its test accuracy is optimistic.
The test loader shuffles, like the train loader. ImageFolder lists images class by class, so an
unshuffled test loader gives train-mode BatchNorm single-class batches, whose batch statistics erase
what the classes have in common and collapse the accuracy (2% on 5 balanced classes in a 2-epoch trial):
shuffling gives the baseline its best case. --no-test-shuffle reproduces the unshuffled variant.

Run with Debian's PyTorch (python3-torch 1.13, python3-torchvision 0.14):
    /usr/bin/python3 bench/seed_reference.py --train DIR --test DIR --weights resnet18.pth [--epochs 10]
Prints one JSON object: {"testAccuracy", "seconds", "trainImages", "testImages", "epochs", "epochSeconds",
"testSeconds", "torch", "torchvision", "threads", "workers"}; "seconds" is the whole job (data loading,
training, test), measured from before the data sets are opened.
"""
import argparse
import json
import time

import torch
import torchvision
from torch import nn, optim
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--train', required=True)
    parser.add_argument('--test', required=True)
    parser.add_argument('--weights', required=True, help='torchvision ResNet-18 state_dict written by torch.save')
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--batch-size', type=int, default=15)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', type=int, default=224, help='Resize target (the reference uses 224)')
    parser.add_argument('--no-test-shuffle', dest='test_shuffle', action='store_false')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.perf_counter()

    # The reference's preprocessing: no normalization.
    transform = transforms.Compose([transforms.Resize(args.size), transforms.ToTensor()])
    train_set = datasets.ImageFolder(args.train, transform=transform)
    test_set = datasets.ImageFolder(args.test, transform=transform)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=args.workers)
    test_loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=args.test_shuffle, num_workers=args.workers)

    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(args.weights, map_location='cpu'))
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(512, len(train_set.classes))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.fc.parameters(), lr=args.lr)
    # Never model.eval(): the reference stays in train mode throughout.

    epoch_seconds = []
    for epoch in range(args.epochs):
        epoch_started = time.perf_counter()
        running_loss = 0.0
        for images, labels in train_loader:
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * images.size(0)
        epoch_seconds.append(time.perf_counter() - epoch_started)
        print(json.dumps({'event': 'epoch', 'epoch': epoch + 1, 'trainLoss': running_loss / len(train_set),
                          'seconds': epoch_seconds[-1]}), flush=True)

    # The reference's test loop, optimizer step on the test set included.
    test_started = time.perf_counter()
    correct = 0
    total = 0
    for images, labels in test_loader:
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        _, predicted = torch.max(outputs, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
    test_seconds = time.perf_counter() - test_started

    print(json.dumps({
        'event': 'summary',
        'testAccuracy': correct / total,
        'seconds': time.perf_counter() - started,
        'trainImages': len(train_set),
        'testImages': len(test_set),
        'classes': train_set.classes,
        'epochs': args.epochs,
        'epochSeconds': epoch_seconds,
        'testSeconds': test_seconds,
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'threads': args.threads,
        'workers': args.workers,
        'testShuffle': args.test_shuffle,
    }), flush=True)


if __name__ == '__main__':
    main()
