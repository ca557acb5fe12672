"""Shared fixtures: the real FER2013 file (from $HOGFER_DATA) and small subsets of it.

Tests read the data from where the environment points; they never commit it.
In CI ($CI set) a missing data file is an error, not a skip.
"""

import os
from pathlib import Path

import numpy as np
import pytest

DATA_ENV = "HOGFER_DATA"


def _data_path():
    path = os.environ.get(DATA_ENV)
    if path and Path(path).exists():
        return Path(path)
    if os.environ.get("CI"):
        raise RuntimeError(f"${DATA_ENV} must point to FER2013 in CI (got {path!r}).")
    return None


@pytest.fixture(scope="session")
def fer_path():
    path = _data_path()
    if path is None:
        pytest.skip(f"set ${DATA_ENV} to the FER2013 csv to run tests on real data")
    return path


@pytest.fixture(scope="session")
def fer(fer_path):
    """The full data set, fer7 labels (loaded once per session, through the cache)."""
    from hogfer.data.fer2013 import load_fer2013

    return load_fer2013(fer_path)


@pytest.fixture(scope="session")
def faces(fer):
    """200 real Training faces (uint8, 48x48) and their labels, a few per class."""
    rng = np.random.default_rng(0)
    train = np.flatnonzero(fer.usage == "Training")
    idx = np.sort(rng.choice(train, 200, replace=False))
    return fer.images[idx], fer.labels[idx]


def write_subset_csv(fer, path, per_class):
    """Write a Kaggle-format CSV of real rows: ``per_class[usage]`` faces per class."""
    rng = np.random.default_rng(0)
    rows = []
    for usage, k in per_class.items():
        for label in range(7):
            idx = np.flatnonzero((fer.usage == usage) & (fer.labels == label))
            rows.extend(rng.choice(idx, min(k, len(idx)), replace=False).tolist())
    rows.sort()
    with open(path, "w") as f:
        f.write("emotion,pixels,Usage\n")
        for i in rows:
            f.write(f"{fer.labels[i]},{' '.join(map(str, fer.images[i].ravel()))},{fer.usage[i]}\n")
    return path


@pytest.fixture(scope="session")
def small_csv(fer, tmp_path_factory):
    """A small stratified subset of the real data in the Kaggle layout."""
    path = tmp_path_factory.mktemp("data") / "fer2013-small.csv"
    return write_subset_csv(fer, path, {"Training": 40, "PublicTest": 12, "PrivateTest": 12})


@pytest.fixture(scope="session")
def drawn_faces():
    """24 real 48x48 faces without FER2013: scikit-image's astronaut, aligned as FER2013's faces
    are, then turned, shifted, scaled, mirrored and relit a little (uint8, 48x48)."""
    import cv2

    data = pytest.importorskip("skimage.data")
    from hogfer.faces import landmarks as face

    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    box = face.detect_faces(gray)[0][0]
    points = face.predict_landmarks(gray, box)
    rng = np.random.default_rng(0)
    out = []
    for k in range(24):
        centre = points.mean(axis=0)
        matrix = cv2.getRotationMatrix2D(tuple(map(float, centre)), rng.uniform(-12, 12), rng.uniform(0.92, 1.08))
        matrix[:, 2] += rng.uniform(-3, 3, size=2)
        moved = cv2.transform(points[None], matrix)[0]
        warped = cv2.warpAffine(gray, matrix, gray.shape[::-1], borderMode=cv2.BORDER_REPLICATE)
        crop = face.align_face(warped, moved)
        crop = np.clip(crop * rng.uniform(0.7, 1.2) + rng.uniform(-20, 20), 0, 255).astype(np.uint8)
        out.append(crop[:, ::-1] if k % 2 else crop)
    return np.ascontiguousarray(np.stack(out))


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Keep the test run's caches out of the user's cache directory."""
    if "HOGFER_CACHE_DIR" not in os.environ:
        os.environ["HOGFER_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
