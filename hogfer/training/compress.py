"""Compress a trained pipeline into a shippable one that predicts (almost) the same.

:func:`compress_model` swaps a pipeline's final :class:`sklearn.svm.SVC` for a
:class:`hogfer.classifiers.CompactSVC` (projected, quantised support vectors),
or drops a LightGBM classifier's training statistics (lossless); principal
component projections and autoencoder weights before either are rounded to half
precision where the predictions stay within the same bounds.
Candidate settings are tried from the smallest to the largest; the first whose
validation accuracy (PublicTest) stays within ``tolerance`` of the exact model's
is kept. PrivateTest is scored once, for the record, after the choice.
"""

import copy
import logging
import time

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from hogfer.classifiers import CompactSVC
from hogfer.exceptions import ArtifactError, HogferError
from hogfer.metrics import evaluate
from hogfer.training.protocol import validation_split

__all__ = ["compress_model", "compression_candidates", "compression_setting", "compress_text"]

logger = logging.getLogger(__name__)

#: Principal components and quantisation steps :func:`compress_model` tries.
COMPONENTS = (16, 24, 32, 48, 64, 96, 128, 160, 192, 256, 384)
STEPS = (0.05, 0.03, 0.02)


def compression_candidates(n_support, n_features):
    """``(n_components, step, estimated bytes)`` to try, smallest first; the last is lossless."""
    candidates = [(k, step, n_support * k) for k in COMPONENTS if k < n_features for step in STEPS]
    candidates += [(None, step, n_support * n_features) for step in STEPS]
    candidates.sort(key=lambda c: (c[2], -c[1]))
    return candidates + [(None, 0.0, n_support * n_features * 4)]


def compress_model(name_or_path, data, out_dir, *, tolerance=0.005, min_agreement=0.95, allow_external=False):
    """Write a compressed copy of the SVM pipeline ``name_or_path`` to ``out_dir``; return its card.

    Parameters
    ----------
    name_or_path : str
        A trained pipeline whose last step is an RBF :class:`~sklearn.svm.SVC`
        or a LightGBM classifier.
    data : FERDataset
        The data it was trained on (checked by hash): PublicTest chooses,
        PrivateTest is scored for the record.
    out_dir : path-like
        Folder for ``NAME.skops`` and ``NAME.json`` (written atomically).
    tolerance : float, default=0.005
        Validation accuracy the copy may lose against the exact model.
    min_agreement : float, default=0.95
        Share of validation faces on which the copy must predict the exact
        model's class (a difference of accuracies alone can hide many changed
        predictions that happen to cancel out).

    Returns
    -------
    ModelCard
        The copy's card: its scores, the exact model's under ``compressed_from``,
        and the setting chosen under ``compression``.
    """
    from hogfer.store.files import load_model, save_model

    model, card = load_model(name_or_path, allow_external=allow_external)
    head = model[-1] if isinstance(model, Pipeline) else model
    if not isinstance(model, Pipeline) or type(head).__name__ not in ("SVC", "LGBMClassifier"):
        raise HogferError(f"{card.get('name', name_or_path)}: compress takes a pipeline ending in an RBF SVC or a LightGBM classifier; this one ends in {type(head).__name__}.")
    if card.get("data_sha256") and card["data_sha256"] != data.sha256:
        raise ArtifactError(f"{card['name']} was trained on data {card['data_sha256'][:12]}, not on {data.source} ({data.sha256[:12]}).")
    start = time.perf_counter()
    _, val, val_name = validation_split(data, card.get("random_state", 0))
    X_exact = model[:-1].transform(val.images)
    exact_pred = head.predict(X_exact)
    rounded = []
    features = _half_precision(copy.deepcopy(model[:-1]), rounded)
    X_val = features.transform(val.images) if rounded else X_exact
    if isinstance(head, SVC):
        chosen, how = _compress_svc(card["name"], head, X_val, val.labels, exact_pred, tolerance, min_agreement)
    else:
        chosen, how = _compress_lightgbm(head, X_val), {"method": "LightGBM without training statistics", "half_precision_features": bool(rounded)}
        if not _keeps(chosen.predict(X_val), val.labels, exact_pred, tolerance, min_agreement):
            logger.info("%s: half-precision features change too many predictions; kept at full precision", card["name"])
            features, how["half_precision_features"], X_val = model[:-1], False, X_exact
    compressed = Pipeline(features.steps + [(model.steps[-1][0], chosen)])
    test = data.select("PrivateTest")
    metrics = {"validation": evaluate(val.labels, chosen.predict(X_val), data.emotions),
               "test": evaluate(test.labels, compressed.predict(test.images), data.emotions) if len(test) else None}
    meta = {key: value for key, value in card.items() if key not in ("name", "file", "format", "sha256", "size_bytes", "metadata_version")}
    meta.update({
        "metrics": metrics,
        "compressed_from": {"sha256": card["sha256"], "size_bytes": card["size_bytes"], "metrics": card.get("metrics")},
        "compression": {**how, "chosen_on": val_name, "seconds": round(time.perf_counter() - start, 1)},
    })
    return save_model(compressed, meta, out_dir, card["name"])


def compression_setting(card):
    """What a compressed model's compression kept, in words."""
    how = card["compression"]
    if how["method"] == "CompactSVC":
        return f"{how['n_components']} principal components, quantisation step {how['step']}"
    return how["method"] + (", half-precision features" if how.get("half_precision_features") else "")


def compress_text(card):
    """One line on a compressed model: size and validation/test accuracy against the exact model's."""
    exact = card["compressed_from"]

    def acc(metrics, part):
        return f"{100 * metrics[part]['accuracy']:.2f}%" if metrics and metrics.get(part) else "n/a"

    return (f"{card['name']}: {exact['size_bytes'] / 1e6:.2f} MB -> {card['size_bytes'] / 1e6:.2f} MB "
            f"({compression_setting(card)}); {card['compression']['chosen_on']} {acc(exact['metrics'], 'validation')} -> "
            f"{acc(card['metrics'], 'validation')}, PrivateTest {acc(exact['metrics'], 'test')} -> {acc(card['metrics'], 'test')}")


def _half_precision(estimator, rounded=None):
    """``estimator`` (fitted) with its PCA projections and autoencoder weights rounded to half precision.

    The values stay 32-bit floats (so every step computes as before), but their
    low mantissa bits are zero, which halves their compressed size.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.pipeline import FeatureUnion

    def half(values):
        return np.asarray(values, dtype=np.float32).astype(np.float16).astype(np.float32)

    rounded = [] if rounded is None else rounded  # the estimators rounded, for the record
    if isinstance(estimator, PCA):
        estimator.components_ = half(estimator.components_)
        rounded.append(estimator)
    elif type(estimator).__name__ == "AutoencoderFeatures":
        for weight in estimator.encoder_.weights:
            weight.assign(half(weight.numpy()))
        rounded.append(estimator)
    elif isinstance(estimator, Pipeline):
        for _, step in estimator.steps:
            _half_precision(step, rounded)
    elif isinstance(estimator, FeatureUnion):
        for _, part in estimator.transformer_list:
            _half_precision(part, rounded)
    elif isinstance(estimator, ColumnTransformer):
        for _, part, _ in estimator.transformers_:
            _half_precision(part, rounded)
    return estimator


def _keeps(pred, y_val, exact_pred, tolerance, min_agreement):
    """Whether predictions ``pred`` keep the exact model's validation accuracy and agree with its predictions."""
    return np.mean(pred == y_val) >= np.mean(exact_pred == y_val) - tolerance and np.mean(pred == exact_pred) >= min_agreement


def _compress_svc(name, svc, X_val, y_val, exact_pred, tolerance, min_agreement):
    """The smallest :class:`CompactSVC` of ``svc`` that keeps the exact model's validation accuracy and predictions.

    ``X_val`` are the features the compressed pipeline computes; ``exact_pred`` the exact model's predictions.
    """
    exact_accuracy = float(np.mean(exact_pred == y_val))
    tried = []
    for n_components, step, _ in compression_candidates(len(svc.support_), svc.n_features_in_):
        compact = CompactSVC.from_svc(svc, n_components=n_components, step=step)
        pred = compact.predict(X_val)
        accuracy, agreement = float(np.mean(pred == y_val)), float(np.mean(pred == exact_pred))
        tried.append({"n_components": n_components, "step": step, "validation_accuracy": round(accuracy, 4), "agreement": round(agreement, 4)})
        logger.info("%s: %s components, step %s: validation %.4f (exact %.4f), agreement %.4f", name, n_components or "all", step, accuracy, exact_accuracy, agreement)
        if accuracy >= exact_accuracy - tolerance and agreement >= min_agreement:
            break
    return compact, {"method": "CompactSVC", "n_components": compact.n_components_, "step": compact.step,
                     "tolerance": tolerance, "min_agreement": min_agreement, "tried": tried}


#: Per-tree statistics LightGBM records while training; prediction reads none of them.
_LIGHTGBM_STATISTICS = ("tree_sizes=", "split_gain=", "internal_value=", "internal_weight=", "internal_count=", "leaf_weight=", "leaf_count=")


def _compress_lightgbm(clf, X_val):
    """A copy of the fitted LightGBM classifier ``clf`` without its trees' training statistics.

    The statistics (split gains, node values, weights and counts) serve feature
    importances by gain and SHAP values, not predictions; dropped, they read back as
    zeros. The copy must predict exactly the same probabilities on ``X_val``.
    """
    import lightgbm

    text = clf.booster_.model_to_string()
    kept = "\n".join(line for line in text.splitlines() if not line.startswith(_LIGHTGBM_STATISTICS)) + "\n"
    small = copy.copy(clf)
    small._Booster = lightgbm.Booster(model_str=kept)
    if not np.array_equal(small.predict_proba(X_val), clf.predict_proba(X_val)):
        raise HogferError("the LightGBM model predicts differently without its statistics; left as it is")
    return small
