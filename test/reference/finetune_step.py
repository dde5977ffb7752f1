"""Two fine-tune steps of ResNet-18 in PyTorch, for finetune.reference.test.ts.

Usage: python3 finetune_step.py FOLDER
FOLDER/input.json: {"classes": K, "lr": x, "backboneLrScale": s, "optimizer": "sgd"|"adam", "momentum": m,
                    "weightDecay": w, "batches": [{"file": "batch-0.f32", "shape": [n, 3, h, w], "labels": [...]}, ...],
                    "keys": [state-dict entries to report]}
Images are raw little-endian float32 NCHW files, already normalized (the workbench's loader's output).
The weights are the formula weights both sides compute (formula_weights.py). As the workbench
fine-tunes with --unfreeze layer4: layer4 and fc train, everything else is frozen, and every
BatchNorm uses its running statistics (model.eval()), so only its affine parameters learn; the
backbone's parameters get lr x backboneLrScale (a second parameter group).
Output: FOLDER/<key>.f32 for each reported entry after the steps (PyTorch's layout), FOLDER/losses.json.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from formula_weights import formula_state_dict  # noqa: E402


def main(folder):
    spec = json.load(open(os.path.join(folder, "input.json")))
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=spec["classes"])
    model.load_state_dict(formula_state_dict(model), strict=True)
    model.eval()  # frozen BatchNorm statistics, as the workbench's fine-tuning
    head, backbone = [], []
    for name, p in model.named_parameters():
        if name.startswith("fc."):
            head.append(p)
        elif name.startswith("layer4."):
            backbone.append(p)
        else:
            p.requires_grad_(False)
    groups = [{"params": head, "lr": spec["lr"]}, {"params": backbone, "lr": spec["lr"] * spec["backboneLrScale"]}]
    if spec["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(groups, lr=spec["lr"], momentum=spec["momentum"], weight_decay=spec["weightDecay"])
    else:
        optimizer = torch.optim.Adam(groups, lr=spec["lr"], weight_decay=spec["weightDecay"])
    losses = []
    for batch in spec["batches"]:
        x = torch.from_numpy(np.fromfile(os.path.join(folder, batch["file"]), dtype="<f4").reshape(batch["shape"]))
        y = torch.tensor(batch["labels"], dtype=torch.long)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    state = model.state_dict()
    for key in spec["keys"]:
        state[key].detach().numpy().astype("<f4").tofile(os.path.join(folder, key + ".f32"))
    json.dump({"losses": losses}, open(os.path.join(folder, "losses.json"), "w"))


if __name__ == "__main__":
    main(sys.argv[1])
