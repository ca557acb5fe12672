"""Emotions of every face in still images, in batches, with annotated copies."""

import logging
from pathlib import Path

import numpy as np

from . import face
from ._io import atomic_path
from ._progress import progress_bar
from .exceptions import HogferError

__all__ = ["IMAGE_SUFFIXES", "collect_images", "find_faces", "predict_images"]

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


def find_faces(gray, *, max_side=1280):
    """Face boxes and landmarks in a grey image: ``[(box, landmarks (68, 2))]``.

    Large images are searched at most ``max_side`` pixels wide; small ones
    (under 640 pixels) are upsampled once so faces of ~40 pixels are found.
    """
    import cv2

    h, w = gray.shape
    scale = min(1.0, max_side / max(h, w))
    small = gray if scale == 1.0 else cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
    boxes, _ = face.detect_faces(small, upsample=1 if max(small.shape) < 640 else 0)
    out = []
    for box in boxes / scale:
        out.append((box, face.predict_landmarks(gray, box)))
    return out


def predict_images(paths, model=None, *, output_dir=None, batch_size=32):
    """Find every face in each image, classify it, optionally write annotated copies.

    Parameters
    ----------
    paths : list of path-like
        Image files.
    model : hogfer.emotion.EmotionModel, default=None
        Emotion classifier; faces and landmarks only if None.
    output_dir : path-like, default=None
        Where annotated copies go (``<stem>.hogfer.jpg``), written atomically.
    batch_size : int, default=32
        Images whose faces are classified in one call.

    Returns
    -------
    list of dict
        Per image: ``file``, ``faces`` (box, landmarks, probabilities,
        emotion) and ``error`` where the file could not be read.
    """
    import cv2

    from .overlay import draw_faces

    results = []
    emotions = model.emotions if model is not None else ()
    with progress_bar(total=len(paths), desc="images", unit="img") as bar:
        for start in range(0, len(paths), batch_size):
            batch = []
            for path in paths[start : start + batch_size]:
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is None:
                    logger.warning("%s: not a readable image", path)
                    batch.append((path, None, [], []))
                    continue
                gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
                found = find_faces(gray)
                crops = [face.align_face(gray, pts) for _, pts in found]
                batch.append((path, image, found, crops))
            crops = [c for _, _, _, cs in batch for c in cs]
            probs = model.predict_proba(np.stack(crops)) if (model is not None and crops) else None
            k = 0
            for path, image, found, _ in batch:
                if image is None:
                    results.append({"file": str(path), "faces": [], "error": "not a readable image"})
                    bar.update()
                    continue
                faces = []
                for i, (box, pts) in enumerate(found):
                    record = {"id": i + 1, "box": [float(v) for v in box], "landmarks": pts.round(1).tolist()}
                    if probs is not None:
                        p = probs[k]
                        record["probabilities"] = {e: round(float(v), 4) for e, v in zip(emotions, p)}
                        record["emotion"] = emotions[int(np.argmax(p))]
                        record["probability"] = float(np.max(p))
                    k += 1
                    faces.append(record)
                result = {"file": str(path), "faces": faces}
                if not faces:
                    result["note"] = "no face found"
                if output_dir is not None:
                    drawn = [{**f, "probabilities": list(f.get("probabilities", {}).values()) or None} for f in faces]
                    draw_faces(image, drawn, emotions)
                    out = Path(output_dir) / f"{Path(path).stem}.hogfer.jpg"
                    with atomic_path(out) as tmp:
                        if not cv2.imwrite(str(tmp), image):
                            raise HogferError(f"{out}: could not write the annotated image.")
                    result["annotated"] = str(out)
                results.append(result)
                bar.update()
    return results
