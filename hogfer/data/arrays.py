"""hogfer's compact FER2013 array file: the parsed data set as one uncompressed ``.npz``.

The loader caches every parsed copy in this form, and :func:`save_arrays`
(``hogfer data pack``) writes one on purpose: uint8 faces, fer7 labels, a usage
code per face and the SHA-256 of the file it was parsed from, which a model
trained from it records as its data.
"""

import logging
import os
from pathlib import Path

import numpy as np

from hogfer._io import temporary_path
from hogfer.exceptions import DataError

__all__ = ["read_arrays", "write_arrays", "save_arrays"]

logger = logging.getLogger(__name__)
VERSION = 1
IMAGE_SIZE = 48  # FER2013 faces are 48x48 (re-exported by hogfer.data.fer2013)
USAGES = ("Training", "PublicTest", "PrivateTest")


def read_arrays(cache_file):
    """Images, fer7 labels, usage and SHA-256 from an array file; ``ValueError`` where it is not one."""
    with np.load(cache_file, allow_pickle=False) as z:
        if int(z["version"]) != VERSION:
            raise ValueError("old cache version")
        images, labels, usage_code, sha256 = z["images"], z["labels"], z["usage_code"], str(z["sha256"])
    n = len(labels)
    if images.shape != (n, IMAGE_SIZE, IMAGE_SIZE) or images.dtype != np.uint8 or usage_code.shape != (n,):
        raise ValueError("arrays of inconsistent shapes")
    if n and (labels.min() < 0 or labels.max() > 6 or usage_code.max() >= len(USAGES)):
        raise ValueError("values out of range")
    return images, labels, np.asarray(USAGES)[usage_code], sha256


def write_arrays(cache_file, images, labels, usage, sha256, *, strict=False):
    """Write the arrays (to a temporary name, then renamed); a failure is logged, or with ``strict`` raised as DataError."""
    usage_code = np.zeros(len(usage), np.uint8)
    for code, name in enumerate(USAGES):
        usage_code[usage == name] = code
    tmp = temporary_path(cache_file)
    try:
        with open(tmp, "wb") as f:
            np.savez(
                f,
                version=VERSION,
                images=images,
                labels=labels.astype(np.int8),
                usage_code=usage_code,
                sha256=sha256,
            )
        os.replace(tmp, cache_file)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if strict:
            raise DataError(f"{cache_file}: could not write ({exc.strerror or exc}).") from None
        logger.warning("Could not write the data cache %s: %s", cache_file, exc)


def save_arrays(dataset, path):
    """Write ``dataset`` (fer7 labels) as a compact ``.npz`` that :func:`load_fer2013` reads, keeping its SHA-256."""
    if dataset.classes != "fer7":
        raise DataError("save_arrays takes the fer7 labels; load the data with classes='fer7'.")
    write_arrays(Path(path), dataset.images, dataset.labels, dataset.usage, dataset.sha256, strict=True)


