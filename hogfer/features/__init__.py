"""Feature transformers: HOG, sliding-window HOG, dlib landmark geometry, raw pixels."""

from .hog import HOGFeatures, hog_features
from .landmarks import LandmarkFeatures
from .pixels import PixelFeatures
from .sliding_window import SlidingWindowHOG

__all__ = ["HOGFeatures", "hog_features", "SlidingWindowHOG", "LandmarkFeatures", "PixelFeatures"]
