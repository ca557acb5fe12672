"""The protocol every training run shares: the validation split and what a run records.

Fit on Training, choose on the validation split (PublicTest, or 10% of
Training for data without one), score once on PrivateTest; the metadata of a
run holds its data, split, scores, times, machine and library versions.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from hogfer._env import provenance
from hogfer.data.fer2013 import FERDataset
from hogfer.exceptions import HogferError
from hogfer.metrics import evaluate

__all__ = ["validation_split", "common_metadata", "scores_metadata", "run_metadata"]


def validation_split(data, random_state=0):
    """Return ``(train, validation, validation name)``: PublicTest, else 10% of Training."""
    train = data.select("Training")
    if len(train) == 0:
        raise HogferError(f"{data.source}: no Training rows to train on.")
    val = data.select("PublicTest")
    if len(val):
        return train, val, "PublicTest"
    idx_train, idx_val = train_test_split(
        np.arange(len(train)), test_size=0.1, stratify=train.labels, random_state=random_state
    )

    def part(idx):
        return FERDataset(train.images[idx], train.labels[idx], train.usage[idx], data.classes, data.source, data.sha256)

    return part(idx_train), part(idx_val), "10% of Training"


def common_metadata(name, spec, data, val_name, n_train, n_val, random_state):
    return {
        "pipeline": name,
        "description": spec.DESCRIPTION,
        "seed_accuracy": getattr(spec, "SEED_ACCURACY", None),
        "classes": data.classes,
        "emotions": list(data.emotions),
        "data_file": str(data.source),
        "data_sha256": data.sha256,
        "split": {"train": "Training", "validation": val_name, "test": "PrivateTest"},
        "n_train": n_train,
        "n_validation": n_val,
        "random_state": random_state,
    }


def scores_metadata(data, val_scores, test, test_pred):
    """The ``metrics`` entry of a model's metadata: validation scores and PrivateTest's."""
    return {"validation": val_scores, "test": evaluate(test.labels, test_pred, data.emotions) if len(test) else None}


def run_metadata(data, val_scores, test, test_pred, train_seconds, predict_seconds, n_jobs):
    """Scores, times, machine and library versions of one training run."""
    made = provenance()
    return {
        "metrics": scores_metadata(data, val_scores, test, test_pred),
        "train_seconds": round(train_seconds, 1),
        "test_predict_seconds": round(predict_seconds, 2),
        "trained_at": made["date"],
        "hardware": made["machine"],
        "n_jobs": n_jobs,
        "libraries": made["libraries"],
    }
