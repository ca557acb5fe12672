"""Emotions of every face in still images: one call for one image, batches with annotated copies."""

import functools
import logging
from pathlib import Path

import numpy as np

from hogfer._io import atomic_path
from hogfer._progress import progress_bar
from hogfer.exceptions import HogferError
from hogfer.faces.photos import find_faces, read_image

__all__ = ["IMAGE_SUFFIXES", "collect_images", "predict_faces", "predict_images", "results_text"]

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


def collect_images(inputs):
    """Expand files and folders (recursively) into a sorted list of image paths."""
    paths = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file())
            if not found:
                raise HogferError(f"{p}: no images in this folder ({', '.join(sorted(IMAGE_SUFFIXES))}).")
            paths += found
        elif p.exists():
            paths.append(p)
        else:
            raise HogferError(f"{p}: no such file or folder.")
    return paths


@functools.lru_cache(maxsize=2)
def _cached_model(name):
    from hogfer.store.emotion import EmotionModel

    return EmotionModel.load(name)


def _classify(faces, model):
    """Set each face's probabilities (one batch) and the model's name; return the faces."""
    if faces and model is not None:
        probs = model.predict_proba(np.stack([f.crop for f in faces]))
        for f, p in zip(faces, probs):
            f.probabilities = dict(zip(model.emotions, (float(v) for v in p)))
            f.model = model.name
    return faces


def predict_faces(image, model=None, *, detector="hog", upsample=1, cropped=False):
    """Every face in one image with its emotion probabilities.

    Parameters
    ----------
    image : path-like or ndarray
        A file, or an array of any size: grey, BGR or BGRA, 8 or 16 bits
        (see :func:`hogfer.faces.photos.read_image`).
    model : hogfer.store.emotion.EmotionModel or str, default=None
        The emotion model or its name; None: the most accurate trained model
        by validation accuracy among those within 50 ms a face, fusions left out
        (:func:`hogfer.store.emotion.default_model_name`), loaded once per process.
    detector : {"hog", "cnn"}, default="hog"
        See :func:`hogfer.faces.photos.find_faces`.
    upsample : int, default=1
        See :func:`hogfer.faces.photos.find_faces`.
    cropped : bool, default=False
        The image is one face (as FER2013's are): no search; see
        :func:`hogfer.faces.photos.find_faces`.

    Returns
    -------
    list of hogfer.faces.photos.Face
        Each with ``box``, ``landmarks``, ``crop``, ``probabilities`` (a dict
        over the model's emotions, summing to 1), ``emotion`` and ``model``.

    Examples
    --------
    >>> from hogfer import predict_faces
    >>> for face in predict_faces("group.jpg"):  # doctest: +SKIP
    ...     print(face.box, face.emotion, face.model)
    """
    if model is None or isinstance(model, str):
        from hogfer.store.emotion import default_model_name

        model = _cached_model(model or default_model_name())
    return _classify(find_faces(image, detector=detector, upsample=upsample, cropped=cropped), model)


def _annotate(image, faces, model, path, output_dir):
    import cv2

    from hogfer.apps.overlay import draw_faces, draw_status

    emotions = model.emotions if model is not None else ()
    draw_faces(image, [f.to_dict(i + 1) for i, f in enumerate(faces)], emotions)
    draw_status(image, "hogfer" + (f"  {model.name}" if model is not None else "") + f"  faces {len(faces)}")
    out = Path(output_dir) / f"{Path(path).stem}.hogfer.jpg"
    with atomic_path(out) as tmp:
        if not cv2.imwrite(str(tmp), image):
            raise HogferError(f"{out}: could not write the annotated image.")
    return str(out)


def predict_images(paths, model=None, *, output_dir=None, detector="hog", upsample=1, cropped=False):
    """Find every face in each image, classify it, optionally write annotated copies.

    Parameters
    ----------
    paths : list of path-like
        Image files.
    model : hogfer.store.emotion.EmotionModel, default=None
        Emotion classifier; faces and landmarks only if None.
    output_dir : path-like, default=None
        Where annotated copies go (``<stem>.hogfer.jpg``), written atomically.
    detector, upsample, cropped
        See :func:`hogfer.faces.photos.find_faces`.

    Returns
    -------
    list of dict
        Per image: ``file``, ``faces`` (id, box, landmarks, probabilities,
        emotion, model) and ``error`` where the file could not be read
        (missing, not an image, truncated or corrupt).
    """
    results = []
    with progress_bar(total=len(paths), desc="images", unit="img") as bar:
        for path in paths:
            try:
                image, gray = read_image(path)
            except HogferError as exc:
                logger.warning("%s", exc)
                results.append({"file": str(path), "faces": [], "error": str(exc)})
                bar.update()
                continue
            faces = _classify(find_faces(gray, detector=detector, upsample=upsample, cropped=cropped), model)
            result = {"file": str(path), "faces": [f.to_dict(i + 1) for i, f in enumerate(faces)]}
            if model is not None:
                result["model"] = model.name
            if not faces:
                result["note"] = "no face found"
            if output_dir is not None:
                result["annotated"] = _annotate(image, faces, model, path, output_dir)
            results.append(result)
            bar.update()
    return results


def results_text(results, model=None, output_dir=None):
    """What ``hogfer predict`` prints: the model, then a line per face (or per unreadable or faceless image)."""
    lines = [f"emotion model: {_model_line(model)}"]
    for r in results:
        if r.get("error") or not r["faces"]:
            lines.append(f"{r['file']}: {r.get('error') or 'no face found'}")
        for f in r["faces"]:
            label = f" {f['emotion']} {f['probability']:.0%}" if "emotion" in f else ""
            lines.append(f"{r['file']}: face #{f['id']} at {','.join(str(int(v)) for v in f['box'])}{label}")
    if output_dir:
        lines.append(f"Wrote annotated images and {output_dir}/predictions.json")
    return "\n".join(lines)


def _model_line(model):
    if model is None:
        return "none"
    val = ((model.metadata.get("metrics") or {}).get("validation") or {}).get("accuracy")
    return model.name + (f" (validation accuracy {val:.1%})" if val is not None else "")
