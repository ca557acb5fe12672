"""Feature transformers: HOG, sliding-window HOG, dlib landmark geometry, raw pixels, bags of visual words."""

from hogfer.features.bovw import BagOfVisualWords, dense_sift
from hogfer.features.hog import HOGFeatures, hog_features
from hogfer.features.landmarks import LandmarkFeatures
from hogfer.features.pixels import PixelFeatures
from hogfer.features.sliding_window import SlidingWindowHOG

__all__ = ["BagOfVisualWords", "dense_sift", "HOGFeatures", "hog_features", "SlidingWindowHOG", "LandmarkFeatures", "PixelFeatures"]
