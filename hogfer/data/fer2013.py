"""FER2013 data layer: the Kaggle CSV, the image-folder layout, label schemes and a cache.

The Kaggle file ``fer2013.csv`` (or ``.csv.gz``) has the columns
``emotion,pixels,Usage``: a label 0..6, 2304 space-separated grey values of a
48x48 face, and one of ``Training``, ``PublicTest``, ``PrivateTest``. The
image-folder layout widely shared as "FER-2013 images" has
``train/<emotion>/*.png|jpg`` and ``test/<emotion>/...``, sometimes with
``Training_``/``PublicTest_``/``PrivateTest_`` file-name prefixes.

Parsing the 35,887-row CSV takes seconds, so the parsed arrays are cached as
``.npz`` in hogfer's cache directory, keyed by the file's path, size,
modification time and a hash of its head and tail. A later load reads the
cache; a corrupt cache is detected and rebuilt. The same ``.npz`` is a data
file of its own (:func:`hogfer.data.arrays.save_arrays`, ``hogfer data pack``), which keeps the
source file's SHA-256: models trained from it record the same data.
"""

import csv
import gzip
import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hogfer.data.arrays import IMAGE_SIZE, USAGES  # defined with the array file, public here
from hogfer.data.arrays import VERSION as ARRAYS_VERSION
from hogfer.data.arrays import read_arrays, write_arrays
from hogfer.exceptions import DataError
from hogfer.paths import cache_dir, resolve_data_path

__all__ = [
    "EMOTIONS",
    "LABEL_SCHEMES",
    "USAGES",
    "IMAGE_SIZE",
    "FERDataset",
    "load_fer2013",
    "file_sha256",
]

logger = logging.getLogger(__name__)

N_PIXELS = IMAGE_SIZE * IMAGE_SIZE

_FER7 = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")
_FER6 = ("Angry", "Fear", "Happy", "Sad", "Surprise", "Neutral")

#: Emotion names, index = label, for each label scheme.
#:
#: - ``fer7``: the seven FER2013 classes.
#: - ``fer6-merge``: Disgust (436 training faces) merged into Angry.
#: - ``fer6-drop``: Disgust rows removed.
EMOTIONS = {"fer7": _FER7, "fer6-merge": _FER6, "fer6-drop": _FER6}
LABEL_SCHEMES = tuple(EMOTIONS)

_DISGUST = 1
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".tif", ".tiff"}
_SPLIT_DIRS = {
    "train": "Training",
    "training": "Training",
    "val": "PublicTest",
    "valid": "PublicTest",
    "validation": "PublicTest",
    "publictest": "PublicTest",
    "test": "PrivateTest",
    "privatetest": "PrivateTest",
}
_PREFIX = re.compile(r"^(Training|PublicTest|PrivateTest)_", re.IGNORECASE)
_USAGE_BY_LOWER = {u.lower(): u for u in USAGES}


@dataclass(frozen=True, eq=False)
class FERDataset:
    """Faces, labels and usage of a FER2013 copy.

    Attributes
    ----------
    images : ndarray of shape (n_samples, 48, 48), dtype uint8
        Grey-level faces.
    labels : ndarray of shape (n_samples,), dtype int64
        Class indices into :attr:`emotions`.
    usage : ndarray of shape (n_samples,), dtype str
        ``"Training"``, ``"PublicTest"`` or ``"PrivateTest"`` per face.
    classes : str
        Label scheme, one of :data:`LABEL_SCHEMES`.
    source : str
        The file or folder the data came from.
    sha256 : str
        SHA-256 of the source file (of the images' bytes for a folder).
    """

    images: np.ndarray
    labels: np.ndarray
    usage: np.ndarray
    classes: str
    source: str
    sha256: str

    @property
    def emotions(self):
        """Emotion names of this label scheme, index = label."""
        return EMOTIONS[self.classes]

    def __len__(self):
        return len(self.labels)

    def select(self, usage):
        """Return the rows of one usage (or a list of usages) as a new dataset."""
        mask = np.isin(self.usage, _check_usage(usage))
        return FERDataset(
            self.images[mask], self.labels[mask], self.usage[mask], self.classes, self.source, self.sha256
        )

    def class_counts(self):
        """Return ``{usage: counts per class}`` for the usages present, in :data:`USAGES` order."""
        return {
            u: np.bincount(self.labels[self.usage == u], minlength=len(self.emotions))
            for u in USAGES
            if np.any(self.usage == u)
        }

    def distribution_text(self):
        """The source, its hash and a Markdown table of the faces per class and usage (``hogfer data info``)."""
        from hogfer._table import markdown_table

        counts = self.class_counts()
        rows = [[usage, *c.tolist(), int(c.sum())] for usage, c in counts.items()]
        total = sum(counts.values())
        rows.append(["all", *total.tolist(), int(total.sum())])
        head = f"{self.source} (sha256 {self.sha256[:12]}..., {self.classes})"
        return head + "\n" + markdown_table(["usage", *self.emotions, "total"], rows)


def load_fer2013(path=None, *, usage=None, classes="fer7", cache=True):
    """Load FER2013 from the Kaggle CSV or an image-folder copy.

    Parameters
    ----------
    path : str or path-like, default=None
        ``fer2013.csv``, ``fer2013.csv.gz`` or the root of an image-folder copy
        (``train/<emotion>/*.png``, ``test/<emotion>/...``). Defaults to the
        ``HOGFER_DATA`` environment variable.
    usage : str or list of str, default=None
        Keep only these usages (``"Training"``, ``"PublicTest"``,
        ``"PrivateTest"``); all rows if None.
    classes : {"fer7", "fer6-merge", "fer6-drop"}, default="fer7"
        Label scheme: the seven classes, Disgust merged into Angry, or Disgust
        rows dropped.
    cache : bool, default=True
        Read and write the parsed arrays in hogfer's cache directory.

    Returns
    -------
    FERDataset

    Raises
    ------
    DataError
        If the path is missing or its content is malformed; the message names
        the file (and row).

    Examples
    --------
    >>> data = load_fer2013("fer2013.csv.gz", usage="Training")  # doctest: +SKIP
    >>> data.images.shape, data.emotions[3]  # doctest: +SKIP
    ((28709, 48, 48), 'Happy')
    """
    if classes not in EMOTIONS:
        raise DataError(f"Unknown label scheme {classes!r}; expected one of {', '.join(LABEL_SCHEMES)}.")
    usages = None if usage is None else _check_usage(usage)
    path = resolve_data_path(path)
    images, labels, usage_arr, sha256 = _load_raw(path, cache=cache)
    labels = labels.astype(np.int64)
    if classes != "fer7":
        keep = labels != _DISGUST if classes == "fer6-drop" else np.ones(len(labels), bool)
        labels = np.where(labels == _DISGUST, 0, labels)
        labels = np.where(labels > _DISGUST, labels - 1, labels)
        images, labels, usage_arr = images[keep], labels[keep], usage_arr[keep]
    data = FERDataset(images, labels, usage_arr, classes, str(path), sha256)
    return data if usages is None else data.select(usages)


def file_sha256(path, chunk_size=1 << 20):
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- helpers


def _check_usage(usage):
    usages = [usage] if isinstance(usage, str) else list(usage)
    out = []
    for u in usages:
        canonical = _USAGE_BY_LOWER.get(str(u).lower())
        if canonical is None:
            raise DataError(f"Unknown usage {u!r}; expected one of {', '.join(USAGES)}.")
        out.append(canonical)
    return out


def _load_raw(path, *, cache):
    """Return images, fer7 labels, usage and sha256, through the cache."""
    if not cache or path.suffix == ".npz":  # an array file is its own cache
        return _parse(path)
    key = _fingerprint(path)
    cache_file = cache_dir("data") / f"fer2013-{key}.npz"
    if cache_file.exists():
        try:
            return read_arrays(cache_file)
        except Exception as exc:  # any unreadable cache is rebuilt
            logger.warning("Cache %s is corrupt (%s); rebuilding it.", cache_file, exc)
    images, labels, usage, sha256 = _parse(path)
    write_arrays(cache_file, images, labels, usage, sha256)
    return images, labels, usage, sha256


def _parse(path):
    if path.is_dir():
        return _read_folder(path)
    if path.suffix == ".npz":  # hogfer's compact array file
        try:
            return read_arrays(path)
        except Exception as exc:
            raise DataError(f"{path}: not a hogfer array file ({type(exc).__name__}); write one with `hogfer data pack`.") from None
    return _read_csv(path)


def _fingerprint(path):
    """Cheap cache key: path, size, mtime and a hash of the first and last MiB."""
    digest = hashlib.sha256(f"v{ARRAYS_VERSION}|{path.resolve()}".encode())
    if path.is_dir():
        for f in sorted(_iter_images(path)):
            st = f.stat()
            digest.update(f"{f.relative_to(path)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    else:
        st = path.stat()
        digest.update(f"|{st.st_size}|{st.st_mtime_ns}".encode())
        with open(path, "rb") as f:
            digest.update(f.read(1 << 20))
            if st.st_size > 2 << 20:
                f.seek(-(1 << 20), os.SEEK_END)
                digest.update(f.read())
    return digest.hexdigest()[:20]


def _open_text(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _read_csv(path):
    try:
        with _open_text(path) as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: the file is empty; expected the columns emotion,pixels,Usage.")
            columns = [h.strip() for h in header]
            missing = [c for c in ("emotion", "pixels") if c not in columns]
            if missing:
                raise DataError(
                    f"{path}: expected the columns emotion,pixels,Usage, got {','.join(columns) or '(none)'}."
                )
            i_emotion, i_pixels = columns.index("emotion"), columns.index("pixels")
            i_usage = columns.index("Usage") if "Usage" in columns else None
            if i_usage is None:
                logger.warning("%s has no Usage column: every row is taken as Training.", path)
            labels, usage, images = [], [], []
            for row_no, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(columns):
                    raise DataError(f"{path}, row {row_no}: {len(row)} fields, expected {len(columns)}.")
                labels.append(_parse_label(row[i_emotion], path, row_no))
                images.append(_parse_pixels(row[i_pixels], path, row_no))
                usage.append(_parse_usage(row[i_usage], path, row_no) if i_usage is not None else "Training")
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, csv.Error) as exc:
        raise DataError(f"{path}: not a readable FER2013 CSV ({exc}).") from None
    if not labels:
        raise DataError(f"{path}: no data rows.")
    images = np.stack(images).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return images, np.asarray(labels, np.int64), np.asarray(usage), file_sha256(path)


def _parse_label(text, path, row_no):
    try:
        label = int(text)
    except ValueError:
        raise DataError(f"{path}, row {row_no}: emotion {text!r} is not an integer 0..6.") from None
    if not 0 <= label <= 6:
        raise DataError(f"{path}, row {row_no}: emotion {label} is outside 0..6.")
    return label


def _parse_pixels(text, path, row_no):
    try:
        values = np.fromstring(text, dtype=np.int32, sep=" ")
    except ValueError:
        raise DataError(f"{path}, row {row_no}: pixels is not a list of integers.") from None
    if values.size != N_PIXELS:
        raise DataError(f"{path}, row {row_no}: pixels has {values.size} values, expected {N_PIXELS} (48x48).")
    if values.min() < 0 or values.max() > 255:
        raise DataError(f"{path}, row {row_no}: pixel values must lie in 0..255.")
    return values.astype(np.uint8)


def _parse_usage(text, path, row_no):
    usage = _USAGE_BY_LOWER.get(text.strip().lower())
    if usage is None:
        raise DataError(f"{path}, row {row_no}: Usage {text!r} is not one of {', '.join(USAGES)}.")
    return usage


def _iter_images(root):
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            if Path(name).suffix.lower() in _IMAGE_SUFFIXES:
                yield Path(dirpath, name)


def _read_folder(root):
    """Read ``<split>/<emotion>/<file>`` images below ``root``."""
    from PIL import Image, UnidentifiedImageError

    by_name = {name.lower(): i for i, name in enumerate(_FER7)}
    by_name.update({str(i): i for i in range(7)})
    files = sorted(_iter_images(root))
    if not files:
        raise DataError(f"{root}: no images found (expected train/<emotion>/*.png and test/<emotion>/...).")
    images, labels, usage = [], [], []
    digest = hashlib.sha256()
    for file in files:
        rel = file.relative_to(root)
        if len(rel.parts) < 3:
            raise DataError(f"{file}: expected <split>/<emotion>/{rel.name} below {root}.")
        split, emotion = rel.parts[-3].lower(), rel.parts[-2].lower()
        if emotion not in by_name:
            raise DataError(f"{file}: folder {rel.parts[-2]!r} is not an emotion ({', '.join(_FER7)}).")
        prefix = _PREFIX.match(file.name)
        if prefix:
            split_usage = _USAGE_BY_LOWER[prefix.group(1).lower()]
        elif split in _SPLIT_DIRS:
            split_usage = _SPLIT_DIRS[split]
        else:
            raise DataError(f"{file}: folder {rel.parts[-3]!r} is not a split (train, val or test).")
        try:
            raw = file.read_bytes()
            with Image.open(io.BytesIO(raw)) as img:
                array = np.asarray(img.convert("L"))
        except (UnidentifiedImageError, OSError) as exc:
            raise DataError(f"{file}: not a readable image ({exc}).") from None
        if array.shape != (IMAGE_SIZE, IMAGE_SIZE):
            h, w = array.shape
            raise DataError(f"{file}: image is {w}x{h}, expected {IMAGE_SIZE}x{IMAGE_SIZE}.")
        digest.update(raw)
        images.append(array)
        labels.append(by_name[emotion])
        usage.append(split_usage)
    return np.stack(images), np.asarray(labels, np.int64), np.asarray(usage), digest.hexdigest()
