"""The parameters of :class:`~hogfer.deep.KerasFERClassifier`: one validator for the library and the CLI.

:data:`PARAMETER_CONSTRAINTS` is the estimator's ``_parameter_constraints``
(scikit-learn's own parameter validation checks each value against it);
:func:`check_parameters` adds the checks that relate two parameters. ``fit``
runs it, and ``hogfer train`` runs it on the estimator a request builds,
before any data loads.
"""

import os
from numbers import Integral, Real

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from hogfer.deep.architectures import ARCHITECTURES
from hogfer.deep.precision import PRECISIONS
from hogfer.tta import TTA_OPTIONS

__all__ = ["PARAMETER_CONSTRAINTS", "LR_SCHEDULES", "OPTIMIZERS", "ENGINES", "check_parameters"]

LR_SCHEDULES = ("plateau", "cosine")
OPTIMIZERS = ("adam", "sgd")
ENGINES = ("auto", "keras", "onnx", "onnx-int8")

_MODEL = [str, os.PathLike, BaseEstimator, None]  # a name, a file, or a fitted estimator

PARAMETER_CONSTRAINTS = {
    "architecture": [StrOptions(set(ARCHITECTURES))],
    "epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 2, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "optimizer": [StrOptions(set(OPTIMIZERS))],
    "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
    "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    "snapshots": [Interval(Integral, 2, None, closed="left"), None],
    "time_limit": [Interval(Real, 0, None, closed="neither"), None],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    "l2": [Interval(Real, 0, None, closed="left")],
    "augment": ["boolean"],
    "class_weight": [StrOptions({"balanced"}), None],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "tta": ["boolean", StrOptions({t for t in TTA_OPTIONS if isinstance(t, str)})],
    "precision": [StrOptions(set(PRECISIONS))],
    "engine": [StrOptions(set(ENGINES))],
    "checkpoint_dir": [str, os.PathLike, None],
    "model_params": [dict, None],
    "init_from": _MODEL,
    "distill_from": [*_MODEL, list, tuple],
    "distill_weight": [Interval(Real, 0, 1, closed="both")],
    "n_jobs": [Integral, None],
    "random_state": [Interval(Integral, 0, None, closed="left")],
    "verbose": ["verbose"],
}


def check_parameters(clf):
    """Raise ``ValueError`` for a parameter of ``clf`` out of its range, alone or beside another.

    Each parameter is checked against :data:`PARAMETER_CONSTRAINTS`
    (scikit-learn's ``InvalidParameterError``, a ``ValueError``); then an odd
    ``batch_size`` (odd training batches can abort TensorFlow's CPU kernels),
    ``warmup_epochs`` not below ``epochs``, more ``snapshots`` than ``epochs``,
    and a ``time_limit`` with ``snapshots`` are refused.
    """
    clf._validate_params()
    if clf.batch_size % 2:
        raise ValueError(f"batch_size must be an even integer >= 2 (odd training batches can crash TensorFlow's CPU kernels); got {clf.batch_size!r}.")
    if clf.warmup_epochs >= clf.epochs:
        raise ValueError(f"warmup_epochs must be an integer from 0 to epochs - 1; got {clf.warmup_epochs!r} with {clf.epochs} epochs.")
    if clf.snapshots is not None and clf.snapshots > clf.epochs:
        raise ValueError(f"{clf.snapshots} snapshot cycles: more cycles than the {clf.epochs} epochs.")
    if clf.time_limit is not None and clf.snapshots:
        raise ValueError("a time limit cannot end a snapshot ensemble early: its cycles span all the epochs; set the epochs instead.")
