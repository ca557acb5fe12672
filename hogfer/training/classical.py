"""Training a named pipeline: features once, hyperparameters on the validation split, scores.

The protocol, the same for every pipeline:

1. The leading feature steps (hogfer's stateless image transformers, or a
   ``FeatureUnion`` of them) run once on Training, the validation split and
   PrivateTest.
2. Each candidate of the pipeline's ``PARAM_GRID`` fits on Training and is
   scored on the validation split: PublicTest, or, for data without one, a
   stratified 10% of Training held out. The best validation accuracy wins.
3. Class balancing (``class_weight="balanced"``) is an option: ``on``,
   ``off``, or ``auto``, which fits the winner both ways and keeps balancing
   only if it raises validation macro-F1.
4. The chosen model (fitted on Training) is scored once on PrivateTest.
   PrivateTest never chooses anything.
"""

import logging
import time

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import FeatureUnion, Pipeline

from hogfer._progress import progress_bar
from hogfer.exceptions import HogferError
from hogfer.features._base import ImageTransformer
from hogfer.metrics import evaluate
from hogfer.training.protocol import common_metadata, run_metadata, validation_split

__all__ = ["train_pipeline", "train_and_save", "check_train_request", "split_feature_steps"]

logger = logging.getLogger(__name__)
BALANCE_CHOICES = ("auto", "on", "off")


def _is_feature_step(step):
    if isinstance(step, ImageTransformer):
        return True
    if isinstance(step, FeatureUnion):
        return all(_is_feature_step(t) for _, t in step.transformer_list)
    return False


def split_feature_steps(pipeline):
    """Split a pipeline into its leading image-feature steps and the rest (the "head")."""
    k = 0
    while k < len(pipeline.steps) and _is_feature_step(pipeline.steps[k][1]):
        k += 1
    if k == 0:
        raise HogferError("A hogfer pipeline must start with an image feature step.")
    return Pipeline(pipeline.steps[:k]), Pipeline(pipeline.steps[k:])


def _class_weight_key(head):
    name, last = head.steps[-1]
    return f"{name}__class_weight" if "class_weight" in last.get_params() else None


def train_pipeline(name, data, *, n_jobs=None, random_state=0, balance="auto", param_grid=None, deep_params=None):
    """Train pipeline ``name`` on ``data`` by the protocol above.

    Parameters
    ----------
    name : str
        A pipeline name (see :func:`hogfer.pipelines.list_pipelines`).
    data : FERDataset
        All usages; Training fits, PublicTest (or 10% of Training) chooses,
        PrivateTest scores.
    n_jobs : int, default=None
        Jobs for feature extraction and the classifiers that take it.
    random_state : int, default=0
        Seed of every random step.
    balance : {"auto", "on", "off"}, default="auto"
        Class balancing of the final classifier (see the module docstring).
    param_grid : list of dict, default=None
        Candidates to choose among; the pipeline's ``PARAM_GRID`` if None.
    deep_params : dict, default=None
        Parameters of a deep pipeline's :class:`hogfer.deep.KerasFERClassifier`
        (``epochs``, ``checkpoint_dir``, ...).

    Returns
    -------
    estimator : Pipeline
        The chosen, fitted pipeline, from images to labels.
    metadata : dict
        Name, parameters, label scheme, data hash, scores, times, versions, machine.
    """
    from hogfer.pipelines import get_spec

    if balance not in BALANCE_CHOICES:
        raise HogferError(f"balance must be one of {', '.join(BALANCE_CHOICES)}; got {balance!r}.")
    spec = get_spec(name)
    if getattr(spec, "KIND", "classical") == "fusion":
        from hogfer.training.fusion import train_fusion

        return train_fusion(name, spec, data, random_state=random_state)
    if getattr(spec, "KIND", "classical") == "deep":
        from hogfer.training.deep import train_deep

        return train_deep(name, spec, data, n_jobs=n_jobs, random_state=random_state, balance=balance, **(deep_params or {}))
    pipeline = spec.build(n_jobs=n_jobs, random_state=random_state)
    features, head = split_feature_steps(pipeline)
    train, val, val_name = validation_split(data, random_state)
    test = data.select("PrivateTest")
    started = time.perf_counter()

    t0 = time.perf_counter()
    logger.info("%s: extracting features", name)
    X_train = features.fit_transform(train.images)
    X_val = features.transform(val.images)
    feature_seconds = time.perf_counter() - t0
    feature_rate = (len(train) + len(val)) / feature_seconds

    grid = list(ParameterGrid(param_grid if param_grid is not None else (getattr(spec, "PARAM_GRID", None) or [{}])))
    weight_key = _class_weight_key(head)
    if balance != "off" and weight_key is None:
        logger.info("%s: the classifier takes no class_weight; balancing is off", name)
    candidates = []
    balanced_first = {"on": [True], "off": [False], "auto": [False]}[balance if weight_key else "off"]
    for params in grid:
        for balanced in balanced_first:
            candidates.append((params, balanced))

    search = []
    with progress_bar(total=len(candidates) + (balance == "auto" and weight_key is not None), desc=f"{name} search") as bar:
        best = None
        for params, balanced in candidates:
            model, score = _fit_score(head, params, balanced, weight_key, X_train, train.labels, X_val, val.labels, data.emotions)
            search.append({"params": params, "balanced": balanced, **score})
            logger.info("%s %s balanced=%s: validation accuracy %.4f", name, params, balanced, score["accuracy"])
            if best is None or score["accuracy"] > best[2]["accuracy"]:
                best = (params, balanced, score, model)
            bar.update()
        if balance == "auto" and weight_key is not None:
            params = best[0]
            model, score = _fit_score(head, params, True, weight_key, X_train, train.labels, X_val, val.labels, data.emotions)
            search.append({"params": params, "balanced": True, **score})
            logger.info("%s %s balanced=True: validation macro-F1 %.4f", name, params, score["macro_f1"])
            if score["macro_f1"] > best[2]["macro_f1"]:
                best = (params, True, score, model)
            bar.update()
    params, balanced, val_scores, fitted_head = best
    train_seconds = time.perf_counter() - started

    estimator = Pipeline(features.steps + fitted_head.steps)
    t0 = time.perf_counter()
    test_pred = estimator.predict(test.images) if len(test) else np.array([], int)
    predict_seconds = time.perf_counter() - t0

    metadata = {
        "kind": "classical",
        **common_metadata(name, spec, data, val_name, len(train), len(val), random_state),
        "chosen_params": params,
        "class_balancing": balanced,
        "balance_option": balance,
        "search": search,
        "estimator_params": {k: repr(v) for k, v in estimator.get_params(deep=True).items() if "__" in k},
        "feature_images_per_s": round(feature_rate, 1),
        **run_metadata(data, val_scores, test, test_pred, train_seconds, predict_seconds, n_jobs),
    }
    return estimator, metadata


def _fit_score(head, params, balanced, weight_key, X_train, y_train, X_val, y_val, emotions):
    model = clone(head).set_params(**params)
    if weight_key is not None:
        model.set_params(**{weight_key: "balanced" if balanced else None})
    model.fit(X_train, y_train)
    return model, evaluate(y_val, model.predict(X_val), emotions)




def check_train_request(name, classes, deep_params=None):
    """Refuse, before any data loads, a training request that cannot run.

    An unknown pipeline, deep options for a classical one, a missing model to
    start from, settings the deep estimator's validator refuses
    (:func:`hogfer.deep.parameters.check_parameters`: more snapshots than epochs,
    a time limit with them, ...), a distillation weight without teachers, or a
    teacher trained on other classes each raise a one-line HogferError.
    """
    import os

    from hogfer.store.files import find_model, read_metadata
    from hogfer.pipelines import kind_of

    kind = kind_of(name)  # unknown names fail here
    deep_params = deep_params or {}
    if deep_params and kind != "deep":
        options = ", ".join("--" + k.replace("_", "-") for k in deep_params)
        raise HogferError(f"{options}: for deep pipelines only; {name} is {kind}.")
    init_from = deep_params.get("init_from")
    if init_from and str(init_from).endswith(".keras") and not os.path.isfile(init_from):
        raise HogferError(f"--init-from: no such file {init_from}.")
    if init_from and not str(init_from).endswith(".keras"):
        find_model(init_from)
    if kind == "deep":  # the estimator's own validator, on the settings the request builds
        from hogfer.deep.parameters import check_parameters
        from hogfer.pipelines import get_spec

        try:
            check_parameters(get_spec(name).build(**deep_params))
        except ValueError as exc:
            raise HogferError(f"{name}: {exc}") from None
    teachers = deep_params.get("distill_from") or []
    if deep_params.get("distill_weight") is not None and not teachers:
        raise HogferError("--distill-weight: give the teachers with --distill-from.")
    for teacher in teachers:
        taught = read_metadata(find_model(teacher)[0]).classes
        if taught != classes:
            raise HogferError(f"--distill-from: {teacher} predicts the {taught} classes, not {classes}.")


def train_and_save(name, data, *, out=None, **options):
    """Train pipeline ``name`` (:func:`train_pipeline`) and save it with its card.

    Returns
    -------
    card : hogfer.store.card.ModelCard
    out : path
        The folder written to (the user model cache unless ``out``).
    history_png : path or None
        A deep model's per-epoch plot, written beside it.
    """
    from pathlib import Path

    from hogfer.store.files import save_model
    from hogfer.paths import cache_dir

    estimator, metadata = train_pipeline(name, data, **options)
    out = Path(out or cache_dir("models"))
    card = save_model(estimator, metadata, out, name)
    history_png = None
    if card.get("history"):
        from hogfer.plots import plot_history

        history_png = out / f"{name}.history.png"
        plot_history(card["history"], history_png, title=name)
    return card, out, history_png
