"""Expected classification metrics from scikit-learn for fixed predictions (test/fixtures/reference/metrics.json).

Run with Debian's /usr/bin/python3 (python3-sklearn): python3 make_metrics_reference.py OUT.json
The cases are fixed lists, so the fixture stores only scikit-learn's outputs next to its inputs.
"""
import json
import sys

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support, top_k_accuracy_score

CASES = {
    # Every class present in truth and prediction.
    "all_present": {"classes": 3, "actual": [0, 0, 0, 1, 1, 2, 2, 2, 2], "predicted": [0, 1, 0, 1, 1, 2, 0, 2, 1]},
    # Class 3 has no evaluation image and is never predicted: macro F1 leaves it out.
    "class_absent": {"classes": 4, "actual": [0, 0, 1, 1, 2, 2], "predicted": [0, 1, 1, 1, 2, 0]},
    # Class 2 has no evaluation image but is predicted: it counts, with F1 0.
    "predicted_only": {"classes": 3, "actual": [0, 0, 1, 1, 1], "predicted": [0, 2, 1, 1, 0]},
    # A class present in truth but never predicted (precision undefined -> 0).
    "never_predicted": {"classes": 3, "actual": [0, 1, 2, 2], "predicted": [0, 0, 0, 1]},
}

# Scores for top-k: rows x classes, fixed values without ties.
TOPK = {
    "classes": 7,
    "actual": [0, 1, 2, 3, 4, 5, 6, 3],
    "scores": [
        [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        [0.1, 0.2, 0.95, 0.3, 0.4, 0.5, 0.6],
        [0.7, 0.6, 0.1, 0.5, 0.4, 0.3, 0.2],
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
        [0.35, 0.25, 0.15, 0.05, 0.45, 0.55, 0.65],
        [0.2, 0.3, 0.4, 0.5, 0.6, 0.1, 0.7],
        [0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05],
        [0.3, 0.1, 0.2, 0.9, 0.4, 0.5, 0.6],
    ],
}


def case_outputs(case):
    labels = list(range(case["classes"]))
    y, p = case["actual"], case["predicted"]
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    return {
        **case,
        "confusion": confusion_matrix(y, p, labels=labels).tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
        "f1": f1.tolist(),
        "support": support.tolist(),
        "accuracy": accuracy_score(y, p),
        # scikit-learn's default labels: those present in y_true or y_pred.
        "macroF1": f1_score(y, p, average="macro", zero_division=0),
        "weightedF1": f1_score(y, p, average="weighted", zero_division=0),
    }


def main(out):
    scores = np.array(TOPK["scores"])
    labels = list(range(TOPK["classes"]))
    topk = {**TOPK, "accuracy": {str(k): top_k_accuracy_score(TOPK["actual"], scores, k=k, labels=labels) for k in (1, 2, 3, 5)}}
    result = {"cases": {name: case_outputs(case) for name, case in CASES.items()}, "topK": topk}
    with open(out, "w") as f:
        json.dump(result, f)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
