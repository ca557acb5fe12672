"""Throughput of hogfer's feature transformers on the full FER2013 set.

Run: ``python benchmarks/bench_features.py [--data PATH] [--out benchmarks/]``

Every transformer is timed on the same images in one run, with n_jobs=1 and
n_jobs=2, beside a per-image ``skimage.feature.hog`` loop with the same
parameters as the baseline. Rows are the best of ``--repeat`` runs after a
warm-up (imports, look-up tables and joblib workers are started once per
process, not per call). ``LandmarkFeatures(detect=False)`` (the whole image as
the face box) shows what skipping the face detector buys, and a second table
splits one face's landmark time into its stages (upscaling, dlib's detector,
dlib's 68-point shape predictor, the geometry), each timed alone on the same
faces in one process. Writes ``features.md`` and ``features.json``.
Throughputs are wall-clock images per second on this machine; compare ratios
from one run, not figures from different runs.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from hogfer import HOGFeatures, LandmarkFeatures, SlidingWindowHOG, load_fer2013
from hogfer._env import git_commit, library_versions, machine_info, machine_summary, now_iso
from hogfer._io import atomic_path
from hogfer._table import markdown_table


def timed(func, *args, repeat=1):
    """Output and the best wall-clock time of ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = func(*args)
        best = min(best, time.perf_counter() - start)
    return out, best


def landmark_stages(images):
    """Milliseconds a face of each stage of :class:`LandmarkFeatures`, one core, one face per call."""
    import cv2

    from hogfer.faces import landmarks as face
    from hogfer.features.landmarks import landmark_geometry

    size = (2 * images.shape[2], 2 * images.shape[1])
    whole = (0, 0, size[0] - 1, size[1] - 1)
    big = [cv2.resize(image, size, interpolation=cv2.INTER_LINEAR) for image in images]
    points = np.stack([face.predict_landmarks(b, whole) for b in big[:10]])  # warm-up: model loads
    stages = {
        "upscale 2x (OpenCV)": lambda: [cv2.resize(image, size, interpolation=cv2.INTER_LINEAR) for image in images],
        "face detector (dlib HOG)": lambda: [face.detect_faces(b) for b in big],
        "68-point shape predictor (dlib)": lambda: [face.predict_landmarks(b, whole) for b in big],
        "geometry (coords, distances, ratios)": lambda: [landmark_geometry(points[:1]) for _ in images],
    }
    return {name: 1000 * timed(func, repeat=2)[1] / len(images) for name, func in stages.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="FER2013 csv (default: $HOGFER_DATA)")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="output folder")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N faces (quick check)")
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs (HOG rows and the baseline)")
    args = parser.parse_args(argv)

    data = load_fer2013(args.data)
    images = data.images[: args.limit]
    n = len(images)
    rows, record = [], []

    from skimage.feature import hog

    params = HOGFeatures().get_params()
    hog_kw = {k: params[k] for k in ("orientations", "pixels_per_cell", "cells_per_block", "block_norm", "transform_sqrt")}
    reference, t_ref = timed(lambda: np.stack([hog(img, **hog_kw) for img in images]), repeat=args.repeat)
    ref_rate = n / t_ref
    rows.append(["skimage.feature.hog loop (baseline)", 1, f"{ref_rate:,.0f}", "1.0x", "-"])
    record.append({"transformer": "skimage.feature.hog loop", "n_jobs": 1, "images_per_s": ref_rate})

    for name, est in [
        ("HOGFeatures()", HOGFeatures()),
        ("SlidingWindowHOG()", SlidingWindowHOG()),
        ("LandmarkFeatures()", LandmarkFeatures()),
        ("LandmarkFeatures(detect=False)", LandmarkFeatures(detect=False)),
    ]:
        for n_jobs in (1, 2):
            est.set_params(n_jobs=n_jobs).fit(images[:10])
            est.transform(images[:1000])  # warm-up: imports, tables, worker start
            repeat = 1 if isinstance(est, LandmarkFeatures) else args.repeat
            out, seconds = timed(est.transform, images, repeat=repeat)
            rate = n / seconds
            diff = float(np.abs(out - reference).max()) if name == "HOGFeatures()" else None
            rows.append(
                [name, n_jobs, f"{rate:,.0f}", f"{rate / ref_rate:.1f}x", "-" if diff is None else f"{diff:.1e}"]
            )
            record.append(
                {
                    "transformer": name,
                    "n_jobs": n_jobs,
                    "images_per_s": rate,
                    "images_per_s_per_job": rate / n_jobs,
                    "ratio_to_skimage": rate / ref_rate,
                    "max_abs_diff_to_skimage": diff,
                }
            )
            if name == "LandmarkFeatures()" and n_jobs == 1:
                detected = est.landmarks(images[:2000])[1].mean()

    stage_ms = landmark_stages(images[:1000])
    total_ms = sum(stage_ms.values())
    stage_rows = [[name, f"{ms:.2f}", f"{ms / total_ms:.0%}"] for name, ms in stage_ms.items()]
    stage_rows.append(["all stages", f"{total_ms:.2f}", "100%"])
    info = machine_info()
    table = markdown_table(["transformer", "n_jobs", "images/s", "vs skimage loop", "max abs diff to skimage"], rows)
    table += (
        f"\n\n## Where a face's landmark time goes\n\nEach stage timed alone on the first {min(n, 1000):,} faces, "
        "one face per call, one core (best of 2 runs); the detector runs on every face, the shape predictor on the "
        "whole upscaled image. The shape predictor alone caps one core at "
        f"{1000 / stage_ms['68-point shape predictor (dlib)']:,.0f} faces/s.\n\n"
        + markdown_table(["stage", "ms a face", "share"], stage_rows)
    )
    header = (
        f"# Feature extraction throughput\n\n"
        f"{n:,} FER2013 faces (all usages), {machine_summary(info)}, {now_iso()}, "
        f"commit {git_commit(Path(__file__).parent)}.\n"
        f"Written by `python benchmarks/bench_features.py`; HOG parameters {hog_kw}. Each row is the best of "
        f"{args.repeat} runs after a warm-up on 1,000 faces (LandmarkFeatures: one run); the output of HOGFeatures "
        f"is float64 like skimage's, so writing its {n:,} x 1,296 result is part of the time.\n"
        f"dlib's detector found a face in {detected:.1%} of the first 2,000 faces (2x upscaled); "
        f"the others use the whole image as the face box.\n\n"
    )
    out_dir = Path(args.out)
    with atomic_path(out_dir / "features.md") as tmp:
        tmp.write_text(header + table + "\n")
    payload = {
        "date": now_iso(),
        "n_images": n,
        "data_sha256": data.sha256,
        "machine": info,
        "libraries": library_versions(),
        "commit": git_commit(Path(__file__).parent),
        "hog_parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in hog_kw.items()},
        "landmark_detection_rate_first_2000": float(detected),
        "landmark_stage_ms_per_face": stage_ms,
        "results": record,
    }
    with atomic_path(out_dir / "features.json") as tmp:
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
    print(header + table)


if __name__ == "__main__":
    main()
