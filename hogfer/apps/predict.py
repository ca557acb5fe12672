"""``hogfer predict``: the emotions of every face in a batch of images, with annotated copies.

The faces come from :class:`hogfer.faces.pipeline.FacePipeline` (one image in
the library: :func:`hogfer.predict_faces`).
"""

import logging
from pathlib import Path

from hogfer._io import atomic_path
from hogfer._progress import progress_bar
from hogfer.exceptions import HogferError
from hogfer.faces.photos import PhotoSearch, read_image
from hogfer.faces.pipeline import FacePipeline

__all__ = ["IMAGE_SUFFIXES", "collect_images", "predict_images", "results_text"]

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
        See :func:`hogfer.faces.pipeline.find_faces`.

    Returns
    -------
    list of dict
        Per image: ``file``, ``faces`` (id, box, landmarks, probabilities,
        emotion, model) and ``error`` where the file could not be read
        (missing, not an image, truncated or corrupt).
    """
    results = []
    pipeline = FacePipeline(PhotoSearch(detector=detector, upsample=upsample, cropped=cropped), model)
    with progress_bar(total=len(paths), desc="images", unit="img") as bar:
        for path in paths:
            try:
                image, gray = read_image(path)
            except HogferError as exc:
                logger.warning("%s", exc)
                results.append({"file": str(path), "faces": [], "error": str(exc)})
                bar.update()
                continue
            faces = pipeline(gray)
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
