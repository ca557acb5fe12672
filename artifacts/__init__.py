"""Trained models shipped with hogfer (installed as ``hogfer.shipped``).

Each model is a file (``NAME.skops`` for scikit-learn pipelines) with a
metadata file ``NAME.json`` beside it that records its checksum, how it was
trained and its scores. Written by ``hogfer train NAME --out artifacts/``.
"""
