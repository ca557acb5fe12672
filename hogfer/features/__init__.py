"""Feature transformers: HOG, sliding-window HOG, dlib landmark geometry, raw pixels."""

from hogfer.features.hog import HOGFeatures, hog_features
from hogfer.features.landmarks import LandmarkFeatures
from hogfer.features.pixels import PixelFeatures
from hogfer.features.sliding_window import SlidingWindowHOG

__all__ = ["HOGFeatures", "hog_features", "SlidingWindowHOG", "LandmarkFeatures", "PixelFeatures"]
