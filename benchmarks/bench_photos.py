"""Faces found in photos and what each detector costs; ``hogfer predict``'s time after its model loads.

Run: ``python benchmarks/bench_photos.py [--videos DIR] [--repeats N] [--out benchmarks/]``

Needs scikit-image (its astronaut photo) and, for most of the faces, the shared
blink videos (``--videos``, default: the ``video`` folder beside ``$HOGFER_DATA``'s).
No face data is committed: the photos are made here (``tests/scenes.py``):

- the tests' group photo (eight faces 40 to 200 pixels wide, two tilted by 45
  degrees) at 1600x1000 and scaled to 1280x800;
- a frame of each video and the astronaut, scaled to 1280 pixels wide (one face each);
- *tight crops*: the face of every 5th frame of each video and the astronaut, cut
  at the box dlib's HOG detector gives it (its edges on the face: brows to chin),
  each passed alone as a photo.

Detectors, side by side in one process: dlib's HOG detector alone (upsampled
once), :func:`hogfer.find_faces`' default search (HOG upright and turned, then a
framed copy where nothing is found), its ``detector="cnn"`` (dlib's CNN detector
on a copy of at most 0.5 megapixels, upsampled once), and dlib's CNN detector on
the full-size photo upsampled once (the reference for small and turned faces).
A placed face is found when a returned box holds its centre; *extra* counts
boxes that hold none. Times are the fastest of ``--repeats`` passes.
Then ``hogfer predict``'s work on each photo after its default model is loaded
(:func:`hogfer.apps.predict.predict_images`: read, find, align, classify and
write the annotated copy). Writes ``photos.md`` and ``photos.json``.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

#: Every how many frames a tight crop is cut from each video.
CROP_EVERY = 5


def _scaled(image, width):
    import cv2

    scale = width / image.shape[1]
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation), scale


def _one_face_centre(bgr):
    from hogfer.faces import landmarks as face

    boxes, scores = face.detect_faces(np.ascontiguousarray(bgr[..., 1]), 1)
    if not len(boxes):
        return None
    b = boxes[int(np.argmax(scores))]
    return np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2])


def make_photos(video_folder):
    """``[(name, bgr, face centres)]``: the group photo at two sizes and single-face photos 1280 px wide."""
    import scenes

    group, centres = scenes.group_photo(video_folder)
    photos = [("group photo 1600x1000", group, centres)]
    small, scale = _scaled(group, 1280)
    photos.append(("group photo 1280x800", small, [c * scale for c in centres]))
    singles = [("astronaut", scenes.astronaut_bgr())]
    singles += list(zip(("smile_wink_blink frame", "talking_khill frame"), scenes.video_frames(video_folder)))
    for name, image in singles:
        big, _ = _scaled(image, 1280)
        centre = _one_face_centre(big)
        if centre is not None:
            photos.append((f"{name}, {big.shape[1]}x{big.shape[0]}", big, [centre]))
    return photos


def tight_crops(video_folder):
    """Faces cut at dlib's box: every ``CROP_EVERY``-th frame of each video, and the astronaut."""
    import cv2
    import scenes

    from hogfer.faces import landmarks as face

    frames = [scenes.astronaut_bgr()]
    for name in ("smile_wink_blink", "talking_khill"):
        path = Path(video_folder) / f"{name}.mp4" if video_folder else None
        if path is None or not path.exists():
            continue
        cap = cv2.VideoCapture(str(path))
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if index % CROP_EVERY == 0:
                frames.append(frame)
            index += 1
        cap.release()
    crops = []
    for frame in frames:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        boxes, scores = face.detect_faces(gray, 1)
        if len(boxes):
            left, top, right, bottom = (int(round(v)) for v in boxes[int(np.argmax(scores))])
            crop = frame[max(top, 0):bottom + 1, max(left, 0):right + 1]
            if min(crop.shape[:2]) >= 20:
                crops.append(crop)
    return crops


def _match(boxes, centres):
    """Faces found (a box holds the centre) and extra boxes (holding no centre)."""
    inside = [[b[0] <= c[0] <= b[2] and b[1] <= c[1] <= b[3] for c in centres] for b in boxes]
    found = sum(any(row[j] for row in inside) for j in range(len(centres)))
    extra = sum(not any(row) for row in inside)
    return found, extra


def _timed(function, repeats):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def searches():
    """``[(label, gray -> boxes, passes)]``: the detectors compared."""
    from hogfer.faces import landmarks as face
    from hogfer.faces.photos import PhotoSearch, cnn_face_detector

    def full_cnn(gray):
        found = cnn_face_detector()(np.ascontiguousarray(gray), 1)
        return [np.array([d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()], float) for d in found]

    default, cnn = PhotoSearch(), PhotoSearch(detector="cnn")
    return [
        ("dlib HOG alone (upsample 1)", lambda g: list(face.detect_faces(g, 1)[0]), None),
        ("find_faces default (HOG search)", lambda g: [c.box for c in default.candidates(g)], None),
        ("find_faces detector=\"cnn\" (0.5 Mpx copy)", lambda g: [c.box for c in cnn.candidates(g)], None),
        ("dlib CNN, full size (upsample 1)", full_cnn, 1),
    ]


def main(argv=None):
    import cv2

    from hogfer._env import git_commit, machine_info, machine_summary, now_iso
    from hogfer._io import atomic_path
    from hogfer._progress import progress_bar, show_progress
    from hogfer._table import markdown_table
    from hogfer.apps.predict import predict_images
    from hogfer.faces.pipeline import find_faces
    from hogfer.store.emotion import default_model_name, emotion_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = os.environ.get("HOGFER_DATA")
    parser.add_argument("--videos", type=Path, default=Path(data).resolve().parent.parent / "video" if data else None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)

    photos = make_photos(args.videos)
    detector_rows = []
    with show_progress(True):
        for label, search, passes in searches():
            with progress_bar(total=len(photos), desc=label[:24], unit="photo") as bar:
                for name, bgr, centres in photos:
                    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
                    boxes, seconds = _timed(lambda: search(gray), passes or args.repeats)
                    found, extra = _match(boxes, centres)
                    detector_rows.append({"detector": label, "photo": name, "faces": len(centres), "found": found,
                                          "extra": extra, "ms": 1000 * seconds})
                    bar.update()
        crops = tight_crops(args.videos)
        with progress_bar(total=len(crops), desc="tight crops", unit="face") as bar:
            crop_found = 0
            start = time.perf_counter()
            for crop in crops:
                crop_found += bool(find_faces(crop))
                bar.update()
            crop_ms = 1000 * (time.perf_counter() - start) / max(len(crops), 1)

        load_start = time.perf_counter()
        model_name = default_model_name()
        model = emotion_model(model_name)
        load_seconds = time.perf_counter() - load_start
        predict_rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for name, bgr, centres in photos:
                path = Path(tmp) / "photo.jpg"
                cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])
                result, seconds = _timed(lambda: predict_images([path], model, output_dir=Path(tmp) / "out"), args.repeats)
                predict_rows.append({"photo": name, "faces": len(centres), "faces_reported": len(result[0]["faces"]),
                                     "ms": 1000 * seconds})

    info = machine_info()
    labels = list(dict.fromkeys(r["detector"] for r in detector_rows))
    names = [name for name, *_ in photos]
    cell = {(r["detector"], r["photo"]): r for r in detector_rows}
    header = ["photo", "faces"] + [f"{label}: found, ms" for label in labels]
    table = []
    for name in names:
        first = cell[(labels[0], name)]
        row = [name, first["faces"]]
        for label in labels:
            r = cell[(label, name)]
            row.append(f"{r['found']}" + (f" +{r['extra']} extra" if r["extra"] else "") + f", {r['ms']:.0f}")
        table.append(row)
    totals = ["all photos", sum(cell[(labels[0], n)]["faces"] for n in names)]
    for label in labels:
        rows = [cell[(label, n)] for n in names]
        totals.append(f"{sum(r['found'] for r in rows)}, {np.mean([r['ms'] for r in rows]):.0f} mean")
    table.append(totals)
    predict_table = markdown_table(["photo", "faces", "faces reported", "ms after load"],
                                   [[r["photo"], r["faces"], r["faces_reported"], f"{r['ms']:.0f}"] for r in predict_rows])
    text = (
        f"# Faces in photos: found, and each detector's cost\n\nWritten by `benchmarks/bench_photos.py` on {now_iso()[:10]}, "
        f"commit {git_commit()[:12]}, {machine_summary(info)}, one process, nothing else running. The photos are made by "
        "the script from scikit-image's astronaut and frames of the shared videos (see its docstring); a face is found "
        f"when a returned box holds its centre; ms: the fastest of {args.repeats} passes (one for the full-size CNN).\n\n"
        + markdown_table(header, table)
        + f"\n\n## Faces cut tight\n\n{len(crops)} faces cut at dlib's box (edges on the face), each passed alone to "
        f"`find_faces` with default settings: **{crop_found} found ({100 * crop_found / max(len(crops), 1):.1f}%)**, "
        f"{crop_ms:.0f} ms a face.\n\n## `hogfer predict` after its model is loaded\n\nDefault model **{model_name}** "
        f"(loaded in {load_seconds:.1f} s); each photo read from a JPEG, its faces found, aligned and classified, and "
        "the annotated copy written:\n\n" + predict_table + "\n"
    )
    with atomic_path(args.out / "photos.md") as tmp:
        Path(tmp).write_text(text)
    with atomic_path(args.out / "photos.json") as tmp:
        Path(tmp).write_text(json.dumps({
            "date": now_iso(), "commit": git_commit(), "machine": info, "repeats": args.repeats,
            "detectors": detector_rows, "tight_crops": {"faces": len(crops), "found": crop_found, "ms_per_face": crop_ms},
            "predict": {"model": model_name, "load_seconds": load_seconds, "rows": predict_rows},
        }, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
