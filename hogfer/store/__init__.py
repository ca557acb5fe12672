"""Trained models on disk: their cards (:class:`ModelCard`), files with checksums, and the emotion model API.

- :mod:`.card`: the one schema of a model's metadata;
- :mod:`.files`: saving, finding, verifying and loading models in the model folders;
- :mod:`.emotion`: :class:`EmotionModel`, a stored model behind one ``predict_proba``, and the default models.
"""

from hogfer.store.card import ModelCard
from hogfer.store.files import find_model, is_model_path, iter_cards, list_models, load_model, model_dirs, resolve_model, save_model

__all__ = ["ModelCard", "find_model", "is_model_path", "iter_cards", "list_models", "load_model", "model_dirs", "resolve_model", "save_model"]
