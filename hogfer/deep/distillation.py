"""Knowledge distillation: the soft targets a student network learns from trained teachers.

``KerasFERClassifier(distill_from=...)`` trains on a mix of the labels and the mean
class probabilities of its teachers on the training faces (Hinton, Vinyals & Dean,
"Distilling the Knowledge in a Neural Network", 2015). The teachers predict once: their
probabilities are kept in hogfer's cache, by the teachers' file hashes and the faces,
and in the run's checkpoint folder.
"""

import json
import logging
import os

import numpy as np

from hogfer._io import temporary_path
from hogfer.deep.recipe import _trained_model, lineage_metadata, source_label

__all__ = ["teacher_names", "teacher_probabilities"]

logger = logging.getLogger(__name__)


def teacher_names(distill_from):
    """``distill_from`` as a list of teachers (one name, path or fitted estimator, several, or None)."""
    if distill_from is None or (isinstance(distill_from, (list, tuple)) and not distill_from):
        return []
    return list(distill_from) if isinstance(distill_from, (list, tuple)) else [distill_from]


def _teachers_key(metadatas, images, classes):
    """A content key for the teachers' probabilities on ``images``: their files' hashes, the faces and
    the classes; None where a teacher has no file hash (a fitted estimator passed as it is)."""
    import hashlib

    hashes = [(m or {}).get("sha256") for m in metadatas]
    if not hashes or not all(hashes):
        return None
    digest = hashlib.sha256()
    for part in (*hashes, np.ascontiguousarray(images).tobytes(), str(list(classes)).encode()):
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:24]


def _load_probabilities(path, n_faces, n_classes):
    if path is None or not path.exists():
        return None
    with np.load(path, allow_pickle=False) as stored:
        if stored["proba"].shape == (n_faces, n_classes):
            logger.info("teacher probabilities from %s", path)
            return stored["proba"], json.loads(str(stored["record"]))
    return None


def _save_probabilities(path, proba, record):
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = temporary_path(path)
    np.savez(partial, proba=proba, record=json.dumps(record))
    os.replace(partial, path)


def teacher_probabilities(distill_from, images, y_idx, classes, checkpoint=None):
    """Mean predicted probabilities of the ``distill_from`` models on ``images``, and what to record of them.

    They are computed once: kept in hogfer's cache (``teachers/``, by the teachers'
    file hashes and the faces), so that every student of the same teachers reuses them,
    and with a ``checkpoint`` folder there too (``teachers.npz``), for a resumed run.
    """
    names = teacher_names(distill_from)
    cached = checkpoint / "teachers.npz" if checkpoint else None
    found = _load_probabilities(cached, len(images), len(classes))
    if found is not None:
        return found
    teachers = [(*_trained_model(name, "distill_from"), source_label(name)) for name in names]
    key = _teachers_key([metadata for _, metadata, _ in teachers], images, classes)
    if key is not None:
        from hogfer.paths import cache_dir

        shared = cache_dir("teachers") / f"{key}.npz"
        found = _load_probabilities(shared, len(images), len(classes))
        if found is not None:
            if cached is not None:
                _save_probabilities(cached, *found)
            return found
    probas, record = [], []
    for teacher, metadata, name in teachers:
        if not hasattr(teacher, "predict_proba"):
            raise ValueError(f"distill_from: {name} does not predict probabilities.")
        teacher_classes = getattr(teacher, "classes_", None)
        if teacher_classes is None or not np.array_equal(np.asarray(teacher_classes), classes):
            raise ValueError(f"distill_from: {name} does not predict the classes {list(classes)}.")
        proba = np.asarray(teacher.predict_proba(images), dtype="float32")
        probas.append(proba)
        record.append({
            "source": name,
            "source_metadata": lineage_metadata(metadata),
            "training_accuracy": round(float(np.mean(proba.argmax(axis=1) == y_idx)), 4),
        })
        logger.info("teacher %s: %.1f%% on the training faces", name, 100 * record[-1]["training_accuracy"])
    proba = np.mean(probas, axis=0)
    for path in (cached, shared if key is not None else None):
        if path is not None:
            _save_probabilities(path, proba, record)
    return proba, record
