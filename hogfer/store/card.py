"""The one schema of a trained model's metadata: :class:`ModelCard`.

A model is stored as ``NAME.skops`` beside ``NAME.json``, its card (see
:mod:`hogfer.store.files`). The card is read, validated, written and
summarised here, and nowhere else. It is a ``dict`` (so JSON round-trips it
and older code that reads keys keeps working) with typed accessors for what
every card holds; cards written by older versions load too (a missing
``kind`` means a classical model).
"""

import json
from pathlib import Path

from hogfer._io import atomic_path
from hogfer.exceptions import ArtifactError

__all__ = ["ModelCard", "REQUIRED_KEYS", "CARD_VERSION"]

CARD_VERSION = 1
#: Keys without which a card cannot verify or load its model file.
REQUIRED_KEYS = ("name", "file", "sha256", "size_bytes")
KINDS = ("classical", "deep", "fusion")


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return repr(value)


class ModelCard(dict):
    """A trained model's metadata: what it is, how it was trained, its scores, its file's checksum.

    Keys written by ``hogfer train``: ``name``, ``pipeline``, ``kind``
    (``"classical"`` or ``"deep"``), ``description``, ``classes`` and
    ``emotions``, ``data_sha256``, ``split``, ``metrics`` (``validation`` and
    ``test`` scores: accuracy, macro-F1, per-class recall, confusion matrix),
    ``chosen_params``, ``train_seconds``, ``test_predict_seconds``, the
    provenance of the run (``trained_at``, ``hardware``, ``libraries``), and
    the model file's ``file``, ``format``, ``sha256`` and ``size_bytes``. Deep
    models add their training history, ONNX copies and lineage.
    """

    # ------------------------------------------------------------ read, write, check
    @classmethod
    def read(cls, json_path):
        """Read and validate ``json_path``; raise ArtifactError if it is unreadable or incomplete."""
        json_path = Path(json_path)
        try:
            data = json.loads(json_path.read_text())
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{json_path}: unreadable model metadata ({exc}).") from None
        if not isinstance(data, dict):
            raise ArtifactError(f"{json_path}: model metadata is not a JSON object.")
        return cls(data).validate(json_path)

    def validate(self, where="model metadata"):
        """Check the keys every card needs and the kind; return the card."""
        for key in REQUIRED_KEYS:
            if key not in self:
                raise ArtifactError(f"{where}: model metadata lacks {key!r}.")
        if self.kind not in KINDS:
            raise ArtifactError(f"{where}: unknown model kind {self.kind!r}.")
        return self

    def write(self, json_path):
        """Write the card atomically (the model file it names is not touched)."""
        with atomic_path(Path(json_path)) as tmp:
            tmp.write_text(json.dumps(self, indent=2, default=_json_default) + "\n")
        return Path(json_path)

    # ------------------------------------------------------------ what every card holds
    @property
    def name(self):
        return self["name"]

    @property
    def kind(self):
        """``"deep"``, ``"classical"`` or ``"fusion"`` (older cards without the key are classical)."""
        return self.get("kind", "classical")

    @property
    def is_deep(self):
        return self.kind == "deep"

    @property
    def classes(self):
        return self.get("classes", "fer7")

    @property
    def emotions(self):
        return tuple(self.get("emotions") or ())

    @property
    def first_sha256(self):
        """The hash the model file had when it was written (before any :func:`~hogfer.store.files.repack_model`)."""
        return (self.get("repacked_from") or [self.get("sha256")])[0]

    def holds(self, sha256):
        """Whether this card's model is the file with hash ``sha256``, or that file recompressed (``repacked_from``)."""
        return sha256 is not None and (sha256 == self.get("sha256") or sha256 in self.get("repacked_from", ()))

    def score(self, split, metric="accuracy"):
        """A recorded score (``split``: ``"validation"`` or ``"test"``), or None."""
        return ((self.get("metrics") or {}).get(split) or {}).get(metric)

    @property
    def faces_per_s(self):
        """PrivateTest faces predicted a second when the model was trained (on that machine), or None."""
        n, seconds = self.score("test", "n"), self.get("test_predict_seconds")
        return n / seconds if n and seconds else None

    # ------------------------------------------------------------ for people
    def summary(self, out=None):
        """Lines describing the model, for ``hogfer train`` and ``hogfer onnx``."""
        val, test = (self.get("metrics") or {}).get("validation"), (self.get("metrics") or {}).get("test")
        balancing = "on" if self.get("class_balancing") else "off"
        if self.is_deep:
            snapshots = (self.get("chosen_params") or {}).get("snapshots")
            kept = (f"the ends of its {snapshots} cycles averaged" if snapshots
                    else f"best on {self['split']['validation']} at epoch {self.get('best_epoch')}")
            epochs = self.get("epochs_run")
            chosen = f"  {epochs} epoch{'' if epochs == 1 else 's'}, {kept} ({self.get('backend')} backend), class balancing {balancing}"
        else:
            chosen = f"  chosen on {self['split']['validation']}: {self.get('chosen_params')}, class balancing {balancing}"
        lines = [f"{self.get('pipeline', self.name)}: {self.get('description')}"]
        if self.get("split"):
            lines.append(chosen)
        if init := self.get("initialized_from"):
            lines.append(f"  started from {init['source']} ({len(init['layers'])} layers)")
        if val:
            lines.append(f"  validation accuracy {val['accuracy']:.2%}, macro-F1 {val['macro_f1']:.3f}")
        if test:
            lines.append(f"  PrivateTest accuracy {test['accuracy']:.2%}, macro-F1 {test['macro_f1']:.3f} (n={test['n']})")
        if self.get("train_seconds") is not None:
            lines.append(f"  trained in {self['train_seconds']:.0f} s; model {self['size_bytes'] / 1e6:.2f} MB")
        if self.get("onnx"):
            lines.append("  " + self.onnx_summary())
        if out is not None:
            lines.append(f"  wrote {out}/{self.name}.skops and .json")
        return "\n".join(lines)

    def onnx_summary(self):
        """One line on a deep model's ONNX copies."""
        info = self.get("onnx") or {}
        if not info.get("exported"):
            return f"no ONNX copy ({info.get('reason')}); predictions run under Keras"
        parts = []
        if info.get("size_bytes"):
            parts.append(f"ONNX copy {info['size_bytes'] / 1e6:.2f} MB (max |difference| from Keras {info['max_abs_diff_vs_keras']:.1e})")
        if info.get("int8", {}).get("made") is False:
            parts.append(f"no 8-bit copy ({info['int8']['reason']})")
        elif info.get("int8"):
            q = info["int8"]
            parts.append(
                f"8-bit copy {q['size_bytes'] / 1e6:.2f} MB (same class as Keras on {q['class_agreement_vs_keras']:.1%} "
                f"of {info.get('n_check_faces', 'the')} validation faces; "
                + ("predictions use it)" if q.get("weight_bits") == 7 else "8-bit weights: used only on CPUs with VNNI or on ARM)")
            )
        return "; ".join(parts)

    def listing(self, json_path, shadowed_by=None):
        """One line for ``hogfer models``; ``shadowed_by``: the path of the model used instead, under the same name."""
        acc = self.score("test")
        acc_text = f"{acc:.2%}" if acc is not None else "n/a"
        used = f"  (not used: {shadowed_by} comes first)" if shadowed_by else ""
        return f"{self.name:22s} PrivateTest {acc_text:>7s}  {self['size_bytes'] / 1e6:6.2f} MB  {json_path}{used}"
