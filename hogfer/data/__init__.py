"""The data layer: FER2013 read from the Kaggle CSV, an image folder or hogfer's array file, cached, split by usage."""

from hogfer.data.arrays import save_arrays
from hogfer.data.fer2013 import EMOTIONS, IMAGE_SIZE, LABEL_SCHEMES, FERDataset, load_fer2013

__all__ = ["EMOTIONS", "IMAGE_SIZE", "LABEL_SCHEMES", "FERDataset", "load_fer2013", "save_arrays"]
