"""Training a late-fusion model (:class:`hogfer.fusion.LateFusion`) on trained members.

The members were fitted on Training, so their scores on Training faces are
optimistic (an RBF SVM or a CNN has seen those faces) and a fusion fitted there
would learn to trust them too much. The fusion is therefore fitted on the
members' scores of the validation faces (PublicTest), with its one
hyperparameter chosen by 5-fold cross-validation there; the out-of-fold accuracy
is its validation score, and PrivateTest is scored once at the end.
"""

import logging
import time

import numpy as np
from sklearn.model_selection import StratifiedKFold

from hogfer.exceptions import HogferError
from hogfer.metrics import evaluate
from hogfer.training.protocol import common_metadata, run_metadata, validation_split

__all__ = ["train_fusion"]

logger = logging.getLogger(__name__)


def train_fusion(name, spec, data, *, random_state=0, loaded=None, **_):
    """Fit ``spec.build()`` (a :class:`LateFusion`) on the validation faces; return ``(model, metadata)``.

    ``loaded`` maps member names to ``(model, card)`` already in memory.
    """
    from hogfer.store.files import load_model

    started = time.perf_counter()
    fusion = spec.build(random_state=random_state)
    members = {}
    for member in fusion.members:
        try:
            members[member] = (loaded or {}).get(member) or load_model(member)
        except HogferError as exc:
            raise HogferError(f"{name}: member {member!r}: {exc}") from None
    for member, (_, card) in members.items():
        if card.get("data_sha256") != data.sha256 or card.get("classes") != data.classes:
            raise HogferError(f"{name}: member {member!r} was trained on other data or labels than {data.source}; train it on this file first.")
    fusion.bind(members)
    train, val, val_name = validation_split(data, random_state)
    test = data.select("PrivateTest")
    logger.info("%s: scoring %d validation and %d test faces with %s", name, len(val), len(test), ", ".join(members))
    val_scores = fusion.scores(val.images)
    test_scores = fusion.scores(test.images) if len(test) else None
    predict_seconds = fusion.seconds_per_face_ * len(test) if len(test) else 0.0
    folds = StratifiedKFold(5, shuffle=True, random_state=random_state)
    search, best = [], None
    for C in spec.C_GRID:
        out_of_fold = np.empty_like(val.labels)
        for fit_idx, held_idx in folds.split(val_scores, val.labels):
            part = spec.build(random_state=random_state, C=C).bind(members).fit_scores(val_scores[fit_idx], val.labels[fit_idx])
            out_of_fold[held_idx] = part.classes_[np.argmax(part.stacker_.predict_proba(val_scores[held_idx]), axis=1)]
        accuracy = float(np.mean(out_of_fold == val.labels))
        search.append({"params": {"C": C}, "accuracy": accuracy})
        logger.info("%s C=%s: out-of-fold %s accuracy %.4f", name, C, val_name, accuracy)
        if best is None or accuracy > best[1]:
            best = (C, accuracy, out_of_fold)
    C, _, out_of_fold = best
    model = spec.build(random_state=random_state, C=C).bind(members).fit_scores(val_scores, val.labels)
    own_seconds = time.perf_counter() - started
    test_pred = model.classes_[np.argmax(model.stacker_.predict_proba(test_scores), axis=1)] if len(test) else None
    member_seconds = sum(float(card.get("train_seconds") or 0) for _, card in members.values())
    metadata = common_metadata(name, spec, data, val_name, len(val), len(val), random_state)
    metadata.update(run_metadata(data, evaluate(val.labels, out_of_fold, data.emotions), test, test_pred,
                                 own_seconds + member_seconds, predict_seconds, None))
    metadata.update({
        "kind": "fusion",
        "split": {"train": f"{val_name} (the members' scores; the members were trained on Training)",
                  "validation": f"5-fold cross-validation on {val_name} (out-of-fold)", "test": "PrivateTest"},
        "members": {member: card.get("sha256") for member, (_, card) in members.items()},
        "fusion_seconds": round(own_seconds, 1),
        "chosen_params": {"C": C},
        "search": search,
    })
    return model, metadata
