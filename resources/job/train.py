#!/usr/bin/env python3
"""A ResNet Workbench run as a PyTorch job: DistributedDataParallel, launched by torchrun.

Run inside the job folder with no arguments (one process, or `torchrun --nproc_per_node=N train.py`);
everything it needs sits beside it:

  config.json   the run's configuration and facts (classes, where the starting weights came from)
  split.json    which images train, which choose the epoch (validation) and which are scored once
                (test): paths relative to the train and test folders, with their class index
  weights/      the starting weights (torchvision ImageNet weights, or the workbench's seeded random
                initialisation), with their SHA-256 in config.json

It trains as the workbench trains (same class order, preprocessing, augmentation, head initialisation,
shuffling, optimizer, schedule, batch size per process, best-epoch choice and evaluation definitions)
and writes a run folder in the workbench's own format, from rank 0 only, every file atomically:

  run/config.json, run/metrics.jsonl (the workbench's run events), run/last.safetensors and
  run/best.safetensors (the whole torchvision state dict), run/predictions/, run/report.json

Bring it back with "Import a cluster job" on the History screen (or `resnet-workbench job import`).
Needs Python 3.9+, torch, torchvision and Pillow; nothing else.
"""
import argparse
import hashlib
import io
import json
import math
import os
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from PIL import Image, ImageCms, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
JOB_FORMAT = "resnet-workbench/job-1"

# ----------------------------------------------------------------------------------------------
# The workbench's seeded random streams (src-main/node/dataset/random.ts): splitmix32 and sfc32 on
# 32-bit words. Head initialisation and shuffling use them so one process reproduces the
# workbench's run step for step.
# ----------------------------------------------------------------------------------------------
M32 = 0xFFFFFFFF


def _splitmix32(state):
    nxt = (state + 0x9E3779B9) & M32
    z = nxt
    z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
    z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
    z ^= z >> 16
    return z, nxt


def derive_seed(*parts):
    state, out = 0x2545F491, 0
    for part in parts:
        low, high = part & M32, (part // 2**32) & M32
        out, state = _splitmix32(state ^ low)
        out, state = _splitmix32(state ^ out ^ high)
    return out


class Rng:
    """sfc32 seeded through splitmix32, as createRng(seed)."""

    def __init__(self, seed):
        state = derive_seed(seed)
        words = []
        for _ in range(4):
            value, state = _splitmix32(state)
            words.append(value)
        self.a, self.b, self.c, self.d = words
        for _ in range(12):
            self._next_uint32()

    def _next_uint32(self):
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        self.d = (d + 1) & M32
        self.a = b ^ (b >> 9)
        self.b = (c + (c << 3)) & M32
        c = ((c << 21) | (c >> 11)) & M32
        self.c = (c + t) & M32
        return t

    def next(self):
        return self._next_uint32() / 2**32

    def uniform(self, low, high):
        return low + (high - low) * self.next()

    def int(self, low, high):
        return low + math.floor(self.next() * (high - low))


def shuffled_indices(n, rng):
    """Fisher-Yates over 0..n-1, as shuffledIndices."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.int(0, i + 1)
        order[i], order[j] = order[j], order[i]
    return order


HEAD_INIT_STREAM, HEAD_SHUFFLE_STREAM = 0x68656164, 0x73687566


def initial_head(channels, classes, seed):
    """torch.nn.Linear's U(-1/sqrt(in), 1/sqrt(in)) drawn from the workbench's stream: weight [classes, channels], bias."""
    rng = Rng(derive_seed(seed, HEAD_INIT_STREAM))
    bound = 1 / math.sqrt(channels)
    kernel = [rng.uniform(-bound, bound) for _ in range(channels * classes)]  # [channels, classes] (tfjs layout)
    bias = [rng.uniform(-bound, bound) for _ in range(classes)]
    weight = torch.tensor(kernel, dtype=torch.float64).float().reshape(channels, classes).t().contiguous()
    return weight, torch.tensor(bias, dtype=torch.float64).float()


def learning_rate_at(step, schedule, lr, total_steps):
    """common/schedules.ts: constant, cosine with 5% linear warm-up, PyTorch's OneCycleLR (cos)."""
    total = max(1, total_steps)

    def cosine_between(start, end, fraction):
        return end + (start - end) * (1 + math.cos(math.pi * min(1, max(0, fraction)))) / 2

    if schedule == "constant":
        return lr
    if schedule == "cosine":
        warmup = min(total - 1, math.floor(total * 0.05))
        if step < warmup:
            return lr * (step + 1) / (warmup + 1)
        return cosine_between(lr, 0, (step - warmup) / max(1, total - warmup))
    initial = lr / 25
    final = initial / 1e4
    peak = 0.3 * total - 1
    if step <= peak:
        return cosine_between(initial, lr, step / peak)
    return cosine_between(lr, final, (step - peak) / (total - 1 - peak))


# ----------------------------------------------------------------------------------------------
# Images: decoded as the workbench decodes them, and torchvision's transforms on PIL images, which
# the workbench's resampler reproduces bit for bit.
# ----------------------------------------------------------------------------------------------
# SRGB and load_rgb are the model card's own (export/modelCard.ts), kept identical by a unit test.
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

def load_rgb(path):
    # As the workbench decodes: EXIF orientation applied, embedded ICC profile -> sRGB (perceptual), alpha dropped.
    image = Image.open(path)
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if icc:
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB, renderingIntent=0, outputMode="RGB")
        except ImageCms.PyCMSError:
            pass  # an unusable profile is ignored, as the workbench does
    return image.convert("RGB")


def round_half_even(x):
    return round(x)  # Python's round() is half-to-even, as the workbench's roundHalfEven


def eval_transform(cfg):
    size, crop = cfg["imageSize"], cfg["crop"]
    resize = [T.Resize((size, size))] if crop >= 1 else [T.Resize(round_half_even(size / crop)), T.CenterCrop(size)]
    return T.Compose(resize + [T.ToTensor(), T.Normalize(cfg["mean"], cfg["std"])])


def train_transform(cfg, scale):
    return T.Compose([T.RandomResizedCrop(cfg["imageSize"], scale=scale), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(cfg["mean"], cfg["std"])])


class Images(torch.utils.data.Dataset):
    """(path, label) pairs through one transform; returns the row index so gathered results can be put back in order."""

    def __init__(self, items, transform):
        self.items, self.transform = items, transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        return self.transform(load_rgb(path)), label, i


# ----------------------------------------------------------------------------------------------
# safetensors without the safetensors package: 8-byte little-endian header length, JSON header
# (dtype, shape, data_offsets, string __metadata__), raw little-endian tensor bytes.
# ----------------------------------------------------------------------------------------------
# load_safetensors is the model card's own (export/modelCard.ts), kept identical by a unit test.
def load_safetensors(path):
    # The safetensors layout: 8-byte little-endian header length, JSON header, raw tensor bytes.
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = bytearray(data[8 + n + start : 8 + n + end])
        state[name] = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]).reshape(info["shape"]).clone()
    return state, header.get("__metadata__", {})


def safetensors_bytes(state, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in state.items():
        tensor = tensor.detach().to("cpu").contiguous()
        raw = tensor.numpy().tobytes() if tensor.numel() else b""
        code = {torch.float32: "F32", torch.int64: "I64"}[tensor.dtype]
        header[name] = {"dtype": code, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # tensor data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_atomic(path, data):
    """Temp file beside the target, fsync, rename: a reader never sees half a file."""
    if isinstance(data, str):
        data = data.encode()
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_start_weights(path):
    if path.endswith(".safetensors"):
        return load_safetensors(path)[0]
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state.get("state_dict", state) if isinstance(state, dict) else state


# ----------------------------------------------------------------------------------------------
# Evaluation, defined as the workbench defines it (train/evaluation.ts, common/metrics.ts).
# ----------------------------------------------------------------------------------------------
MAX_MISCLASSIFIED = 200


def evaluate(logits, labels, files, classes, k=5):
    """Accuracy, mean cross-entropy, top-k, confusion matrix, per-class scores, worst mistakes; and per-image results."""
    z = logits.double()
    n, c = z.shape
    if not torch.isfinite(z).all():
        raise FloatingPointError("The model's output is not finite: its weights are broken. Try a lower learning rate.")
    predicted = [int(p) for p in z.argmax(dim=1)]  # first maximum, as the workbench's loop
    log_sum = torch.logsumexp(z, dim=1)
    actual = [int(a) for a in labels]
    confidence = [float(v) for v in torch.exp(z.max(dim=1).values - log_sum)]
    loss = [float(log_sum[r] - z[r, actual[r]]) for r in range(n)]
    matrix = [[0] * c for _ in range(c)]
    for a, p in zip(actual, predicted):
        matrix[a][p] += 1
    per_class, present, correct, total = [], [], 0, 0
    for i, label in enumerate(classes):
        tp, support = matrix[i][i], sum(matrix[i])
        predicted_as = sum(matrix[r][i] for r in range(c))
        correct, total = correct + tp, total + support
        precision = tp / predicted_as if predicted_as > 0 else 0
        recall = tp / support if support > 0 else 0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0
        present.append(support > 0 or predicted_as > 0)
        per_class.append({"label": label, "precision": precision, "recall": recall, "f1": f1, "support": support})
    counted = [r["f1"] for r, p in zip(per_class, present) if p]
    top_k = min(k, c - 1)
    top = None
    if top_k >= 2:
        hits = 0
        for r in range(n):
            a, row = actual[r], z[r]
            target = row[a]
            better = int((row > target).sum()) + int((row[:a] == target).sum())
            hits += better < top_k
        top = {"k": top_k, "accuracy": hits / n if n else 0}
    wrong = [
        {"file": files[r], "actual": classes[actual[r]], "predicted": classes[predicted[r]], "confidence": confidence[r], "loss": loss[r]}
        for r in range(n)
        if predicted[r] != actual[r]
    ]
    wrong.sort(key=lambda m: -m["loss"])
    evaluation = {
        "accuracy": correct / total if total else 0,
        "loss": sum(loss) / n if n else 0,
        "topK": top,
        "confusionMatrix": {"labels": list(classes), "matrix": matrix},
        "perClass": per_class,
        "macroF1": sum(counted) / len(counted) if counted else 0,
        "misclassified": wrong[:MAX_MISCLASSIFIED],
    }
    scores = {"files": files, "actual": actual, "predicted": predicted, "confidence": [float(f"{v:.4g}") for v in confidence]}
    return evaluation, scores


# ----------------------------------------------------------------------------------------------
# Distributed helpers.
# ----------------------------------------------------------------------------------------------
def world():
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def gather_rows(rows, compute, device):
    """compute(indices) -> [len(indices), ...] on each rank for its share (i = rank, rank + world, ...); every rank gets all rows in order."""
    rank, size = world()
    mine = list(range(rank, rows, size))
    local = compute(mine)
    if size == 1:
        return local
    per_rank = math.ceil(rows / size)
    padded = torch.zeros((per_rank,) + tuple(local.shape[1:]), dtype=local.dtype, device=device)
    padded[: len(mine)] = local.to(device)
    parts = [torch.zeros_like(padded) for _ in range(size)]
    dist.all_gather(parts, padded)
    out = torch.zeros((rows,) + tuple(local.shape[1:]), dtype=local.dtype)
    for r, part in enumerate(parts):
        count = len(range(r, rows, size))
        out[r::size] = part[:count].cpu()
    return out


class WorkbenchOrderSampler(torch.utils.data.DistributedSampler):
    """DistributedSampler whose epoch order is the workbench's seeded shuffle: one process sees the workbench's batches exactly."""

    def __init__(self, dataset, order_of_epoch, **kwargs):
        super().__init__(dataset, shuffle=False, drop_last=False, **kwargs)
        self.order_of_epoch = order_of_epoch

    def __iter__(self):
        order = self.order_of_epoch(self.epoch)
        order += order[: self.total_size - len(order)]  # pad to a multiple of the world size, as DistributedSampler does
        return iter(order[self.rank : self.total_size : self.num_replicas])


def all_sum(values, device):
    if not dist.is_initialized():
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return [float(v) for v in t.cpu()]


# ----------------------------------------------------------------------------------------------
# The run folder, as the workbench writes it (train/runFolder.ts). Rank 0 only.
# ----------------------------------------------------------------------------------------------
class RunFolder:
    def __init__(self, folder, run_id, active):
        self.folder, self.run_id, self.active = folder, run_id, active
        self.last_batch_event = 0.0

    def write_json(self, name, value, indent=2):
        if self.active:
            write_atomic(os.path.join(self.folder, name), json.dumps(value, indent=indent) + ("\n" if indent else ""))

    def emit(self, event, **payload):
        if not self.active:
            return
        with open(os.path.join(self.folder, "metrics.jsonl"), "a", encoding="utf8") as f:
            f.write(json.dumps({"event": event, "runId": self.run_id, **payload}) + "\n")

    def batch(self, final, **payload):
        # About 8 a second, the last batch of an epoch always: as the workbench throttles them.
        now = time.monotonic()
        if final or now - self.last_batch_event >= 0.125:
            self.last_batch_event = now
            self.emit("run.batch", **payload)

    def save(self, kind, state, classes, epoch):
        if self.active:
            metadata = {"kind": "resnet-workbench/full", "classes": json.dumps(classes, separators=(",", ":")), "epoch": str(epoch), "trainedBy": "pytorch-job"}
            write_atomic(os.path.join(self.folder, f"{kind}.safetensors"), safetensors_bytes(state, metadata))

    def predictions(self, epoch, best_epoch, split, classes, scores, name=None):
        if not self.active:
            return
        folder = os.path.join(self.folder, "predictions")
        os.makedirs(folder, exist_ok=True)
        record = {"epoch": epoch, "split": split, "labels": list(classes), **scores}
        write_atomic(os.path.join(folder, name or f"epoch-{epoch:04d}.json"), json.dumps(record, separators=(",", ":")))
        if name is None:  # only the latest and the best epoch's files are kept
            for other in os.listdir(folder):
                if other.startswith("epoch-") and other not in (f"epoch-{epoch:04d}.json", f"epoch-{best_epoch:04d}.json"):
                    os.remove(os.path.join(folder, other))


# ----------------------------------------------------------------------------------------------
# Training.
# ----------------------------------------------------------------------------------------------
TRAINABLE_PREFIXES = {"layer4": ("layer4.", "fc."), "layer3": ("layer3.", "layer4.", "fc."), "all": ("",)}
LINEAR_VIEW_SCALE = (0.25, 1.0)  # linear mode's extra views: milder crops, each computed once


def keep_eval_mode_batchnorm(model):
    # The workbench keeps BatchNorm on its running statistics (its scale and shift still train).
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()


def main():
    parser = argparse.ArgumentParser(description="Train a ResNet Workbench run with PyTorch (DDP under torchrun).")
    parser.add_argument("--config", default=os.path.join(HERE, "config.json"), help="the job's config.json (default: beside train.py)")
    parser.add_argument("--split", default=None, help="the job's split.json (default: beside the config)")
    parser.add_argument("--train-dir", default=None, help="where the train folder is on this machine (default: the path the workbench used)")
    parser.add_argument("--test-dir", default=None, help="where the test folder is on this machine (default: the path the workbench used)")
    parser.add_argument("--out", default=None, help="run folder to write (default: run/ beside the config)")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    parser.add_argument("--workers", type=int, default=2, help="image-decoding worker processes per training process (default 2)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="auto: a GPU where CUDA is available")
    args = parser.parse_args()

    job_dir = os.path.dirname(os.path.abspath(args.config))
    with open(args.config, encoding="utf8") as f:
        job = json.load(f)
    if job.get("format") != JOB_FORMAT:
        sys.exit(f"{args.config} is not a ResNet Workbench job ({JOB_FORMAT}).")
    cfg, facts = job["config"], job["facts"]
    if args.epochs is not None:
        cfg["epochs"] = args.epochs
    with open(args.split or os.path.join(job_dir, job["split"]), encoding="utf8") as f:
        split = json.load(f)
    classes = facts["classes"]

    # One process per GPU (NCCL), or CPU processes (gloo).
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    distributed = int(os.environ.get("WORLD_SIZE", 1)) > 1
    if distributed:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    rank, size = world()
    torch.manual_seed(cfg["seed"] + rank)

    # Image paths: relative to the train and test folders, found here under --train-dir / --test-dir;
    # reported under the workbench's own folders so the imported run shows the user's images.
    roots_there = split["roots"]
    roots_here = {"train": args.train_dir or roots_there["train"], "test": args.test_dir or roots_there.get("test")}

    def items(name):
        return [(os.path.join(roots_here[root], rel), label) for root, rel, label in split[name]]

    def reported(name):
        return [os.path.join(roots_there[root], rel) for root, rel, _ in split[name]]

    train_items, val_items, test_items = items("train"), items("validation"), items("test") if split.get("test") is not None else None
    missing = [p for p, _ in train_items + val_items + (test_items or []) if not os.path.isfile(p)]
    if missing:
        sys.exit(f"{len(missing)} image(s) of the job are not here, e.g. {missing[0]}; give --train-dir / --test-dir where the folders are on this machine.")

    out = os.path.abspath(args.out or os.path.join(job_dir, "run"))
    run = RunFolder(out, job["id"], rank == 0)
    if rank == 0:
        os.makedirs(out, exist_ok=True)
        if os.path.exists(os.path.join(out, "metrics.jsonl")):
            sys.exit(f"{out} already holds a run; give another --out.")
        run.write_json("config.json", {"id": job["id"], "config": cfg, "facts": {**facts, "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}})

    started = time.monotonic()
    try:
        outcome = train(cfg, job, classes, train_items, val_items, test_items, reported, run, device, args, started, size)
    except Exception as error:  # the run folder says how it ended, as the workbench's does
        code = "TRAINING_DIVERGED" if isinstance(error, FloatingPointError) else "INTERNAL"
        run.emit("run.failed", folder=out, error={"code": code, "message": str(error)}, checkpoint=None)
        raise
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    if rank == 0:
        print(json.dumps({"folder": out, "testAccuracy": outcome["testAccuracy"], "validationAccuracy": outcome["validationAccuracy"]}))


def train(cfg, job, classes, train_items, val_items, test_items, reported, run, device, args, started, size):
    rank = world()[0]
    linear = cfg["mode"] == "linear"
    num_classes = len(classes)

    # The network: torchvision's ResNet, the starting weights (checked), a new head initialised as the workbench does.
    weights_file = os.path.join(os.path.dirname(os.path.abspath(args.config)), job["weights"]["file"])
    if sha256_of(weights_file) != job["weights"]["sha256"]:
        raise ValueError(f"{weights_file} is not the starting weights the job was exported with (SHA-256 differs).")
    model = getattr(torchvision.models, f"resnet{cfg['depth']}")(weights=None)
    start = {k: v for k, v in load_start_weights(weights_file).items() if not k.startswith("fc.")}
    missing = [k for k in model.state_dict() if not k.startswith("fc.") and not k.endswith("num_batches_tracked") and k not in start]
    if missing:
        raise ValueError(f"The starting weights lack {len(missing)} tensor(s) of ResNet-{cfg['depth']}, e.g. {missing[0]}.")
    model.load_state_dict(start, strict=False)
    channels = model.fc.in_features
    model.fc = torch.nn.Linear(channels, num_classes)
    weight, bias = initial_head(channels, num_classes, cfg["seed"])
    with torch.no_grad():
        model.fc.weight.copy_(weight)
        model.fc.bias.copy_(bias)
    model.to(device)

    evaluation_items = val_items + (test_items or [])
    run.emit(
        "run.started",
        folder=run.folder,
        classes=classes,
        trainImages=len(train_items),
        evalImages=len(evaluation_items),
        validationImages=len(val_items),
        **({"testImages": len(test_items)} if test_items is not None else {}),
        evalSplit="test" if test_items is not None else "validation",
        backend=f"pytorch-{'nccl-cuda' if device.type == 'cuda' else 'gloo-cpu' if size > 1 else 'cpu'} x{size}",
        weights=job["facts"]["weightsSource"],
    )

    loader_args = {"batch_size": cfg["batchSize"], "num_workers": args.workers, "pin_memory": device.type == "cuda"}

    def logits_of(net, dataset):
        """Every rank scores its share of the images; all ranks get every row's logits, in order."""

        def compute(indices):
            loader = torch.utils.data.DataLoader(torch.utils.data.Subset(dataset, indices), shuffle=False, **loader_args)
            outs = [torch.zeros((0, num_classes if net is not None else channels))]
            with torch.no_grad():
                for x, _, _ in loader:
                    outs.append((net(x.to(device)) if net is not None else backbone(x.to(device))).float().cpu())
            return torch.cat(outs)

        return gather_rows(len(dataset), compute, device)

    backbone_fc = model.fc
    eval_tf = eval_transform(cfg)

    def backbone(x):
        # The frozen network up to the pooled features (fc replaced by identity for this pass).
        model.fc = torch.nn.Identity()
        try:
            return model(x)
        finally:
            model.fc = backbone_fc

    if linear:
        # Features once per image and view, on the frozen backbone in inference mode (as the workbench caches them).
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        views = cfg["views"] if cfg["augment"] else 1
        run.emit("run.progress", phase="features", done=0, total=len(train_items) * views + len(evaluation_items), etaSeconds=None)
        train_feats = [logits_of(None, Images(train_items, eval_tf))]
        for _ in range(1, views):
            train_feats.append(logits_of(None, Images(train_items, train_transform(cfg, LINEAR_VIEW_SCALE))))
        train_x = torch.cat(train_feats)
        train_y = torch.tensor([label for _, label in train_items] * views)
        eval_x = logits_of(None, Images(evaluation_items, eval_tf)) if evaluation_items else torch.zeros((0, channels))
        head = torch.nn.Linear(channels, num_classes)
        with torch.no_grad():
            head.weight.copy_(weight)
            head.bias.copy_(bias)
        head.to(device)
        trained = torch.nn.parallel.DistributedDataParallel(head) if size > 1 else head
        groups = [{"params": list(head.parameters()), "scale": 1.0}]
        rows = len(train_y)
    else:
        # Fine-tuning: the chosen stages and the head train; the backbone at lr x backboneLrScale.
        prefixes = TRAINABLE_PREFIXES[cfg["unfreeze"]]
        head_params, backbone_params = [], []
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith(prefixes))
            if p.requires_grad:
                (head_params if name.startswith("fc.") else backbone_params).append(p)
        trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) if size > 1 else model
        groups = [{"params": head_params, "scale": 1.0}] + ([{"params": backbone_params, "scale": cfg["backboneLrScale"]}] if backbone_params else [])
        train_ds = Images(train_items, train_transform(cfg, (0.08, 1.0)) if cfg["augment"] else eval_tf)
        rows = len(train_items)

    if cfg["optimizer"] == "adam":
        optimizer = torch.optim.Adam(groups, lr=cfg["lr"], weight_decay=cfg["weightDecay"])
    else:
        optimizer = torch.optim.SGD(groups, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weightDecay"])

    # Each epoch's order is the workbench's seeded shuffle; each process takes its share (DistributedSampler).
    def order_of_epoch(epoch):
        stream = Rng(derive_seed(cfg["seed"], HEAD_SHUFFLE_STREAM, epoch + 1)) if linear else Rng(derive_seed(cfg["seed"], epoch))
        return shuffled_indices(rows, stream)

    indices = torch.utils.data.TensorDataset(torch.arange(rows))
    sampler = WorkbenchOrderSampler(indices, order_of_epoch, num_replicas=size, rank=rank)
    if linear:
        loader = torch.utils.data.DataLoader(indices, batch_size=cfg["batchSize"], sampler=sampler)
    else:
        loader = torch.utils.data.DataLoader(train_ds, sampler=sampler, **loader_args)
    batches = len(loader)
    total_steps = batches * cfg["epochs"]

    def validation_logits():
        if not val_items:
            return None
        if linear:
            with torch.no_grad():
                return head(eval_x[: len(val_items)].to(device)).float().cpu()
        model.eval()
        return logits_of(model, Images(val_items, eval_tf))

    best = {"epoch": 0, "score": -math.inf, "state": None}
    since_best, history, stopped_early = 0, [], False
    select_last = cfg["selectEpoch"] == "last" or not val_items
    labels_val = [label for _, label in val_items]
    step = 0
    for epoch in range(1, cfg["epochs"] + 1):
        t0 = time.monotonic()
        sampler.set_epoch(epoch - 1)
        trained.train()
        if not linear:
            keep_eval_mode_batchnorm(model)
        loss_sum = correct = count = 0.0
        for b, batch in enumerate(loader):
            lr = learning_rate_at(step, cfg["schedule"], cfg["lr"], total_steps)
            for g in optimizer.param_groups:
                g["lr"] = lr * g["scale"]
            if linear:
                idx = batch[0]
                x, y = train_x[idx].to(device), train_y[idx].to(device)
            else:
                x, y = batch[0].to(device), batch[1].to(device)
            logits = trained(x)
            loss = F.cross_entropy(logits, y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"The loss became {float(loss)} at epoch {epoch}, batch {b + 1} (learning rate {lr:.3g}). Try a lower learning rate.")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            hits = float((logits.argmax(dim=1) == y).sum())
            loss_sum += float(loss) * len(y)
            correct += hits
            count += len(y)
            run.batch(b + 1 == batches, epoch=epoch, batch=b + 1, batches=batches, loss=float(loss), accuracy=hits / len(y), lr=lr)
        loss_sum, correct, count = all_sum([loss_sum, correct, count], device)
        val = validation_logits()
        evaluation = scores = None
        if val is not None:
            evaluation, scores = evaluate(val, labels_val, reported("validation"), classes)
        state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()} if not linear else None
        if linear:
            state = {**{k: v for k, v in model.state_dict().items() if not k.startswith("fc.")}, "fc.weight": head.weight.detach().cpu().clone(), "fc.bias": head.bias.detach().cpu().clone()}
        for name, t in state.items():
            if t.is_floating_point() and not torch.isfinite(t).all():
                raise FloatingPointError(f"The weights became non-finite ({name}) at epoch {epoch}. Try a lower learning rate; the last good checkpoint is kept.")
        result = {
            "epoch": epoch,
            "trainLoss": loss_sum / count,
            "trainAccuracy": correct / count,
            "valLoss": evaluation["loss"] if evaluation else None,
            "valAccuracy": evaluation["accuracy"] if evaluation else None,
            "lr": lr,
            "seconds": time.monotonic() - t0,
        }
        history.append(result)
        score = evaluation["accuracy"] - evaluation["loss"] * 1e-9 if evaluation else epoch
        if score > best["score"]:
            best.update(epoch=epoch, score=score, state=state)
            since_best = 0
        else:
            since_best += 1
        kept = epoch if select_last else best["epoch"]
        run.emit(
            "run.epoch",
            epoch=epoch,
            epochs=cfg["epochs"],
            trainLoss=result["trainLoss"],
            trainAccuracy=result["trainAccuracy"],
            evalLoss=result["valLoss"],
            evalAccuracy=result["valAccuracy"],
            lr=lr,
            seconds=result["seconds"],
            best=kept == epoch,
        )
        if evaluation:
            run.emit("run.evaluation", epoch=epoch, split="validation", **evaluation)
            run.predictions(epoch, kept, "validation", classes, scores)
        run.emit("run.progress", phase="saving", done=0, total=1, etaSeconds=None)
        run.save("last", state, classes, epoch)
        if kept == epoch:
            run.save("best", state, classes, epoch)
        elapsed = time.monotonic() - started
        run.emit("run.progress", phase="training", done=epoch, total=cfg["epochs"], etaSeconds=elapsed / epoch * (cfg["epochs"] - epoch))
        if cfg.get("patience") is not None and since_best >= cfg["patience"] and epoch < cfg["epochs"]:
            stopped_early = True
            break

    # The kept model, scored on validation and once on the test folder.
    epochs_run = len(history)
    best_epoch = epochs_run if select_last else best["epoch"]
    chosen = state if select_last else best["state"]
    model.load_state_dict(chosen)
    model.eval()
    if linear:
        with torch.no_grad():
            head.weight.copy_(chosen["fc.weight"])
            head.bias.copy_(chosen["fc.bias"])

    def score(offset, items, name):
        if linear:
            with torch.no_grad():
                z = head(eval_x[offset : offset + len(items)].to(device)).float().cpu()
        else:
            z = logits_of(model, Images(items, eval_tf))
        return evaluate(z, [label for _, label in items], reported(name), classes)

    validation = score(0, val_items, "validation") if val_items else None
    test = score(len(val_items), test_items, "test") if test_items else None
    if test:
        run.emit("run.evaluation", epoch=best_epoch, split="test", **test[0])
        run.predictions(best_epoch, best_epoch, "test", classes, test[1], name="test.json")
    headline = test or validation
    seconds = time.monotonic() - started
    images = {"train": len(train_items), "validation": len(val_items), "test": len(test_items) if test_items is not None else None}
    fingerprint = hashlib.sha256(json.dumps([[name, reported(name)] for name in ("train", "validation", "test") if name != "test" or test_items is not None]).encode()).hexdigest()
    report = {
        "runId": job["id"],
        "folder": run.folder,
        "classes": classes,
        "evalSplit": "test" if test else "validation",
        "selectEpoch": cfg["selectEpoch"],
        "bestEpoch": best_epoch,
        "epochsRun": epochs_run,
        "stoppedEarly": stopped_early,
        "validationAccuracy": validation[0]["accuracy"] if validation else None,
        "lastEpochValidationAccuracy": history[-1]["valAccuracy"] if val_items else None,
        "testAccuracy": test[0]["accuracy"] if test else None,
        "evaluation": headline[0],
        "validation": validation[0] if validation else None,
        "test": test[0] if test else None,
        "images": images,
        "dataFingerprint": fingerprint,
        "skipped": [],
        "history": history,
        "backend": f"PyTorch {torch.__version__} ({device.type}, {size} process{'es' if size > 1 else ''})",
        "weights": job["facts"]["weightsSource"],
        "seconds": seconds,
        "notices": [f"Trained by PyTorch {torch.__version__} as a job: {size} process(es) on {device.type}."],
        "config": cfg,
    }
    run.write_json("report.json", report)
    run.emit(
        "run.finished",
        folder=run.folder,
        bestEpoch=best_epoch,
        epochsRun=epochs_run,
        stoppedEarly=stopped_early,
        selectEpoch=cfg["selectEpoch"],
        validationAccuracy=report["validationAccuracy"],
        lastEpochValidationAccuracy=report["lastEpochValidationAccuracy"],
        testAccuracy=report["testAccuracy"],
        trainImages=len(train_items),
        skippedFiles=0,
        seconds=seconds,
    )
    return report


if __name__ == "__main__":
    main()
