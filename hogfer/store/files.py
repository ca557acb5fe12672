"""Saving and loading trained models, with checksums and a trust boundary.

A model is stored as ``NAME.skops`` (through ``skops.io``: no pickle, so
loading runs no code from the file; a Keras network travels inside as its
``.keras`` bytes) next to
``NAME.json``, its metadata: what it is, how it was trained, its scores, and
the SHA-256 and size of the model file. Loading verifies the checksum first,
so a truncated or tampered file is refused with a clear error.

Models are looked up by name in the *model folders*: ``$HOGFER_MODELS`` if
set, the user's model cache (where ``hogfer train`` writes by default), then
the models shipped in hogfer's ``artifacts/`` folder. A file elsewhere is
loaded only when the caller passes its path explicitly.
"""

import os
import zipfile
from importlib import resources
from pathlib import Path

from hogfer._io import atomic_path
from hogfer.data.fer2013 import file_sha256
from hogfer.exceptions import ArtifactError
from hogfer.store.card import CARD_VERSION, ModelCard
from hogfer.paths import cache_dir

__all__ = [
    "model_dirs", "save_model", "repack_model", "find_model", "find_by_hash", "iter_cards", "all_model_files", "load_model", "resolve_model", "is_model_path", "read_metadata", "write_metadata", "list_models",
]

METADATA_VERSION = CARD_VERSION
MODELS_ENV = "HOGFER_MODELS"
# Module prefixes whose types a hogfer model may contain; anything else is refused.
_TRUSTED_PREFIXES = ("hogfer.", "sklearn.", "numpy.", "scipy.", "lightgbm.", "imblearn.", "builtins.", "collections.")


def shipped_dir():
    """The folder of models shipped with hogfer (``artifacts/`` in the source tree)."""
    return Path(str(resources.files("hogfer.shipped")))


def model_dirs():
    """Folders searched for models by name, in order."""
    dirs = []
    if os.environ.get(MODELS_ENV):
        dirs.append(Path(os.environ[MODELS_ENV]))
    dirs += [cache_dir("models"), shipped_dir()]
    return dirs


def save_model(estimator, metadata, out_dir, name):
    """Write ``out_dir/NAME.skops`` and ``out_dir/NAME.json`` atomically.

    Returns the metadata as written (with ``file``, ``sha256`` and ``size_bytes``).
    """
    import skops.io as sio

    out_dir = Path(out_dir)
    model_path = out_dir / f"{name}.skops"
    with atomic_path(model_path) as tmp:
        sio.dump(estimator, tmp, compression=zipfile.ZIP_LZMA)
        sha256, size = file_sha256(tmp), tmp.stat().st_size
    metadata = ModelCard({
        "metadata_version": METADATA_VERSION,
        "name": name,
        "file": model_path.name,
        "format": "skops",
        "sha256": sha256,
        "size_bytes": size,
        **metadata,
    })
    write_metadata(out_dir / f"{name}.json", metadata)
    return metadata


def repack_model(json_path):
    """Recompress a saved model's file with LZMA, in place; the model in it stays byte for byte the same.

    ``.skops`` files are zip archives; models saved before LZMA became the
    default were deflated (LightGBM's text trees shrink by a quarter more under
    LZMA). Every member is copied unchanged, so the model loads and predicts
    exactly as before; only the file's hash changes. The card gets the new
    ``sha256`` and ``size_bytes`` and keeps the old hash in ``repacked_from``,
    so what refers to the model by hash (a fusion's members) still finds it
    (:meth:`~hogfer.store.card.ModelCard.holds`).

    Returns the card as written; a file already compressed with LZMA is left as it is.
    """
    json_path = Path(json_path)
    card = read_metadata(json_path)
    model_path = verify_model_file(json_path, card)
    with zipfile.ZipFile(model_path) as source:
        members = source.infolist()
        if all(m.compress_type == zipfile.ZIP_LZMA for m in members):
            return card
        with atomic_path(model_path) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_LZMA) as target:
                for member in members:
                    target.writestr(member.filename, source.read(member))
            sha256, size = file_sha256(tmp), tmp.stat().st_size
    card = ModelCard({**card, "sha256": sha256, "size_bytes": size,
                      "repacked_from": [*card.get("repacked_from", []), card["sha256"]]})
    write_metadata(json_path, card)
    return card


def write_metadata(json_path, metadata):
    """Write a model's card (:class:`~hogfer.store.card.ModelCard`) atomically; the model file is not touched."""
    return ModelCard(metadata).write(json_path)


def read_metadata(json_path):
    """Read and validate a model's card; raise ArtifactError if it is unreadable or incomplete."""
    return ModelCard.read(json_path)


def is_model_path(text):
    """Whether a user's model argument is a file path rather than a model name.

    The one rule: a path has a folder separator or ends in ``.json``,
    ``.skops`` or ``.keras``; anything else is a name in the model folders.
    """
    text = str(text)
    return "/" in text or os.sep in text or text.endswith((".json", ".skops", ".keras"))


def list_models():
    """``{name: metadata path}`` of every model in the model folders (earlier folders win)."""
    found = {}
    for json_path in all_model_files():
        found.setdefault(json_path.stem, json_path)
    return found


def all_model_files():
    """Every model's metadata path in the model folders, folder by folder in search order.

    A name found in an earlier folder shadows the same name in later ones: a
    model you train into your cache is used instead of the shipped one.
    """
    return [p for folder in model_dirs() if folder.is_dir() for p in sorted(folder.glob("*.json"))]


def iter_cards(classes="fer7"):
    """``(name, metadata path, card)`` of every readable model of the label scheme ``classes`` in the model folders."""
    for name, json_path in list_models().items():
        try:
            card = ModelCard.read(json_path)
        except ArtifactError:
            continue
        if card.classes == classes:
            yield name, json_path, card


def find_model(name_or_path):
    """Return ``(metadata path, is_external)`` for a model name or an explicit path."""
    text = str(name_or_path)
    candidate = Path(text)
    if is_model_path(text):
        json_path = candidate.with_suffix(".json")
        if not json_path.exists():
            raise ArtifactError(f"{candidate}: no such model (expected {json_path.name} beside it).")
        inside = any(_is_within(json_path, d) for d in model_dirs())
        return json_path, not inside
    models = list_models()
    if text not in models:
        known = ", ".join(sorted(models)) or "none"
        raise ArtifactError(f"No trained model named {text!r} in {', '.join(map(str, model_dirs()))}. Known: {known}.")
    return models[text], False


def find_by_hash(name, sha256):
    """``(metadata path, card)`` of the model ``name`` whose file has hash ``sha256`` (or had, before a
    :func:`repack_model`), from whichever model folder holds it; None where no folder does."""
    for json_path in all_model_files():
        if json_path.stem == name:
            card = read_metadata(json_path)
            if card.holds(sha256):
                return json_path, card
    return None


def _is_within(path, folder):
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def verify_model_file(json_path, metadata=None):
    """Check the model file's size and SHA-256 against its metadata; return its path."""
    json_path = Path(json_path)
    metadata = metadata or read_metadata(json_path)
    model_path = json_path.parent / metadata["file"]
    if not model_path.exists():
        raise ArtifactError(f"{model_path}: model file missing (its metadata is {json_path}).")
    size = model_path.stat().st_size
    if size != metadata["size_bytes"]:
        raise ArtifactError(
            f"{model_path}: {size} bytes, but its metadata says {metadata['size_bytes']}: truncated or replaced; refusing to load."
        )
    if file_sha256(model_path) != metadata["sha256"]:
        raise ArtifactError(f"{model_path}: checksum mismatch with {json_path.name}: tampered with or corrupt; refusing to load.")
    return model_path


def load_model(name_or_path, *, allow_external=False):
    """Load a model by name (from the model folders) or by path; return ``(estimator, metadata)``.

    Parameters
    ----------
    name_or_path : str or path-like
        A model name (``"svm-hog"``) or the path of its ``.json``/``.skops`` file.
    allow_external : bool, default=False
        Allow a path outside the model folders. Pass True only for files you trust
        (the command line does so when you name a file explicitly).

    Raises
    ------
    ArtifactError
        Unknown name, a file outside the model folders without ``allow_external``,
        a checksum mismatch, or a file that does not deserialize.
    """
    json_path, external = find_model(name_or_path)
    if external and not allow_external:
        raise ArtifactError(
            f"{json_path}: outside hogfer's model folders; pass the path explicitly (allow_external=True) to trust it."
        )
    metadata = ModelCard.read(json_path)
    model_path = verify_model_file(json_path, metadata)
    fmt = metadata.get("format", "skops")
    if fmt != "skops":
        raise ArtifactError(f"{json_path}: unknown model format {fmt!r}.")
    return _load_skops(model_path), metadata


def resolve_model(argument):
    """A user's model argument (a name, or the path of its ``.json``/``.skops``) to ``(estimator, card)``.

    A path the user names explicitly is trusted (see :func:`load_model`'s
    ``allow_external``); a name is looked up in the model folders.
    """
    return load_model(argument, allow_external=is_model_path(argument))


def _load_skops(model_path):
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=model_path)
        refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if refused:
            raise ArtifactError(f"{model_path}: contains types hogfer does not trust: {', '.join(refused)}.")
        return sio.load(model_path, trusted=untrusted)
    except ArtifactError:
        raise
    except Exception as exc:
        raise ArtifactError(f"{model_path}: could not be loaded ({type(exc).__name__}: {exc}).") from None
