"""The hybrid network's handcrafted features: HOG and 68-landmark geometry, standardised.

:func:`feature_pipeline` builds the scikit-learn pipeline the hybrid fits on
its training faces; :func:`transform_features` runs it on new faces without
scikit-learn's per-call overhead, which matters for one face at a time.
"""

import numpy as np

__all__ = ["feature_pipeline", "transform_features"]


def feature_pipeline(n_jobs=None):
    """The hybrid model's handcrafted input: HOG and landmark features, standardised."""
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import StandardScaler

    from hogfer.features import HOGFeatures, LandmarkFeatures

    return make_pipeline(
        FeatureUnion([("hog", HOGFeatures(n_jobs=n_jobs)), ("landmarks", LandmarkFeatures(n_jobs=n_jobs))]),
        StandardScaler(),
    )


def transform_features(pipeline, images):
    """``pipeline.transform(images)`` of the hybrid's fitted feature pipeline, minus its overhead.

    ``images`` is an already checked ``(n, 48, 48)`` stack. For the pipeline
    :func:`feature_pipeline` builds (a plain union of hogfer's image
    transformers, then a standard scaler) the same arithmetic runs without
    scikit-learn's per-call checks and joblib dispatch, which weigh on a single
    face's call; the result is the same array. Any other pipeline goes
    through its own ``transform``.
    """
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import StandardScaler

    from hogfer.features._base import ImageTransformer

    steps = [step for _, step in pipeline.steps]
    if len(steps) == 2 and type(steps[0]) is FeatureUnion and type(steps[1]) is StandardScaler:
        union, scaler = steps
        parts = [t for _, t in union.transformer_list]
        plain = (
            union.transformer_weights is None
            and all(isinstance(t, ImageTransformer) and t.image_shape_ == images.shape[1:] for t in parts)
            and scaler.with_mean
            and scaler.with_std
            and all(getattr(e, "_sklearn_output_config", {}).get("transform", "default") == "default" for e in (pipeline, union, scaler, *parts))
        )
        if plain:
            features = np.hstack([t._transform_images(images) for t in parts])
            features -= scaler.mean_
            features /= scaler.scale_
            return features
    return pipeline.transform(images)
