"""hogfer: facial expression recognition on FER2013.

Feature transformers that drop into any scikit-learn ``Pipeline`` (HOG,
sliding-window HOG, dlib 68-landmark geometry), named classical pipelines,
Keras models, one benchmark table and a live webcam app.

Heavy modules load on first use, so ``import hogfer`` stays fast and never
imports Keras, TensorFlow, dlib or OpenCV.
"""

import importlib

from hogfer._version import __version__

# public name -> module that defines it (imported lazily, PEP 562)
_LAZY = {
    "load_fer2013": "hogfer.data.fer2013",
    "FERDataset": "hogfer.data.fer2013",
    "EMOTIONS": "hogfer.data.fer2013",
    "LABEL_SCHEMES": "hogfer.data.fer2013",
    "hog_features": "hogfer.features.hog",
    "HOGFeatures": "hogfer.features.hog",
    "SlidingWindowHOG": "hogfer.features.sliding_window",
    "LandmarkFeatures": "hogfer.features.landmarks",
    "PixelFeatures": "hogfer.features.pixels",
    "BagOfVisualWords": "hogfer.features.bovw",
    "AutoencoderFeatures": "hogfer.deep.autoencoder",
    "predict_faces": "hogfer.store.emotion",
    "find_faces": "hogfer.faces.pipeline",
    "FacePipeline": "hogfer.faces.pipeline",
    "read_image": "hogfer.faces.photos",
    "Face": "hogfer.faces.records",
    "EmotionModel": "hogfer.store.emotion",
    "BlinkDetector": "hogfer.faces.blinks",
    "FaceTracker": "hogfer.faces.tracking",
    "show_progress": "hogfer._progress",
    "HogferError": "hogfer.exceptions",
    "DataError": "hogfer.exceptions",
    "ArtifactError": "hogfer.exceptions",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hogfer' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
