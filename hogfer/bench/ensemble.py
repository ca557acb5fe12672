"""The ensemble row: the mean probabilities of the trained deep models, members chosen on PublicTest."""

import time

import numpy as np

from hogfer.store.card import ModelCard

__all__ = ["choose_ensemble", "ensemble_model", "training_runs", "RememberedPredictions"]


class RememberedPredictions:
    """A trained model that computes its class probabilities once per image array.

    A benchmark scores the same faces with a deep model for its own row and again
    for the ensemble's; this wrapper answers the repeats from memory. It holds on
    to the arrays it has seen, so an array is never mistaken for a new one at the
    same address. ``seconds_per_face_`` is the time per face of its latest real
    computation, so that a remembered answer does not pass for a fast one. Other
    attributes are the wrapped model's.
    """

    def __init__(self, model):
        self.model = model
        self._seen = []

    def predict_proba(self, X):
        for images, proba in self._seen:
            if images is X:
                return proba
        start = time.perf_counter()
        proba = self.model.predict_proba(X)
        self.seconds_per_face_ = (time.perf_counter() - start) / max(len(X), 1)
        self._seen.append((X, proba))
        return proba

    def predict(self, X):
        return self.model.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __getattr__(self, name):
        return getattr(self.__dict__["model"], name)

class _Ensemble:
    """The mean of several models' class probabilities."""

    def __init__(self, models):
        self.models = models
        self.classes_ = models[0].classes_

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)

    @property
    def seconds_per_face_(self):
        """The members' times per face added up (each member's latest real computation)."""
        return sum(m.seconds_per_face_ for m in self.models)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

def training_runs(meta):
    """``{run: seconds}`` of the training behind a model, or None where unrecorded.

    Its own run counts at least the sum of its epochs' times (a resumed run's wall
    time covers only its last part); then every run it started from
    (``initialized_from``) and of every teacher it was distilled from
    (``distilled_from``) with theirs, by content hash, so that models sharing an
    ancestor count it once; training before the recorded runs is one entry per source.
    A fusion counts its own fit and every run behind its members (found by hash).
    """
    seconds = meta.get("fusion_seconds", meta.get("train_seconds")) if meta.get("kind") == "fusion" else meta.get("train_seconds")
    epoch_seconds = (meta.get("history") or {}).get("seconds") if meta.get("kind") == "deep" else None
    if epoch_seconds:
        seconds = max(seconds or 0, float(sum(epoch_seconds)))
    if seconds is None:
        return None
    runs = {ModelCard(meta).first_sha256 or id(meta): float(seconds)}  # the hash lineages recorded
    teachers = [t.get("source_metadata") or {} for t in meta.get("distilled_from") or []]
    for source in (_source_metadata(meta), *teachers):
        recorded = {run["sha256"]: float(run.get("epoch_seconds_total") or 0) for run in source.get("lineage", []) if run.get("sha256")}
        runs.update(recorded)
        before = float(source.get("lineage_epoch_seconds", source.get("epoch_seconds_total")) or 0) - sum(recorded.values())
        if before > 0:
            runs[("before", source.get("sha256"))] = before
    for card in _member_cards(meta):
        member_runs = training_runs(card) if card is not None else None
        if member_runs is None:
            return None
        runs.update(member_runs)
    return runs


def _member_cards(meta):
    """The cards of a fusion's members, by name and hash (None for one not found)."""
    if not meta.get("members"):
        return []
    from hogfer.store.files import find_by_hash

    return [(find_by_hash(name, sha256) or (None, None))[1] for name, sha256 in meta["members"].items()]

def _source_metadata(meta):
    return (meta.get("initialized_from") or {}).get("source_metadata") or {}

#: The deep models the ensemble chooses its members among (on PublicTest); a snapshot
#: ensemble is an ensemble already and stays out.
ENSEMBLE_CANDIDATES = ("xception", "hybrid", "resnet", "vgg", "inception", "wider-cnn", "simple-cnn", "dexpression")


def ensemble_model(data, public=None, loaded=None):
    """The ensemble of the trained deep models: ``(model, metadata, None)``, or ``(None, None, why not)``.

    ``public`` (default: ``data``'s PublicTest) chooses the members; ``loaded``
    maps names to ``(model, metadata)`` already loaded (a benchmark's, whose
    predictions are remembered), others are loaded here.
    """
    from hogfer.store.files import list_models, load_model

    members = [n for n in ENSEMBLE_CANDIDATES if n in list_models()]
    if len(members) < 2:
        return None, None, f"needs at least two trained deep models ({', '.join(ENSEMBLE_CANDIDATES)})"
    loaded = {n: (loaded or {}).get(n) or load_model(n) for n in members}
    loaded = {n: (m if isinstance(m, RememberedPredictions) else RememberedPredictions(m), meta) for n, (m, meta) in loaded.items()}
    chosen, val_accuracy = choose_ensemble({n: m for n, (m, _) in loaded.items()}, data.select("PublicTest") if public is None else public)
    metas = [loaded[n][1] for n in chosen]
    meta = ModelCard({
        "description": "mean probabilities of " + ", ".join(chosen),
        "classes": metas[0]["classes"],
        "data_sha256": metas[0]["data_sha256"],
        "train_seconds": sum({run: s for m in metas for run, s in (training_runs(m) or {}).items()}.values()),
        "hardware": metas[0].get("hardware"),
        "size_bytes": sum(m["size_bytes"] for m in metas),
    })
    if len(members) > 2:
        meta["note"] = (
            f"members {', '.join(chosen)} chosen on PublicTest ({100 * val_accuracy:.1f}%) among {', '.join(members)}; "
            "its PublicTest column is therefore optimistic"
        )
    return _Ensemble([loaded[n][0] for n in chosen]), meta, None

def choose_ensemble(models, val):
    """The members whose mean probabilities are most accurate on the validation faces ``val``.

    Every subset of two or more of ``models`` (a dict name -> fitted model) is
    tried; ties go to the larger subset. PrivateTest plays no part. Without
    validation faces every model is a member.

    Returns
    -------
    chosen : list of str
        Member names, in the order of ``models``.
    accuracy : float or None
        Their validation accuracy.
    """
    from itertools import combinations

    names = list(models)
    if len(val.labels) == 0:
        return names, None
    probas = {n: models[n].predict_proba(val.images) for n in names}
    classes = models[names[0]].classes_
    best = None
    for k in range(2, len(names) + 1):
        for subset in combinations(names, k):
            pred = classes[np.argmax(np.mean([probas[n] for n in subset], axis=0), axis=1)]
            accuracy = float(np.mean(pred == val.labels))
            if best is None or accuracy >= best[1]:
                best = (list(subset), accuracy)
    return best
