"""Common fit/transform plumbing of hogfer's image transformers."""

from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from hogfer.features._validation import as_image_stack

__all__ = ["ImageTransformer"]


class ImageTransformer(TransformerMixin, BaseEstimator):
    """Base of transformers that map grey images to feature vectors.

    Subclasses define ``_parameter_constraints``, ``_transform_images(images)``
    and ``_feature_names()``; they may check parameters against the image size
    in ``_check_image_shape(shape)``.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and remember the image size.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, height*width)
            Grey images, or flat rows of square images.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        _check_feature_names(self, X, reset=True)
        images = as_image_stack(X)
        self._check_image_shape(images.shape[1:])
        self.image_shape_ = tuple(int(s) for s in images.shape[1:])
        self.n_features_in_ = self.image_shape_[0] * self.image_shape_[1]
        return self

    def transform(self, X):
        """Compute the features of each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, height*width)
            Images of the size seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out)
        """
        check_is_fitted(self)
        _check_feature_names(self, X, reset=False)
        images = as_image_stack(X, image_shape=self.image_shape_, estimator=type(self).__name__)
        return self._transform_images(images)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features (so ``set_output(transform="pandas")`` works)."""
        check_is_fitted(self)
        import numpy as np

        return np.asarray(self._feature_names(), dtype=object)

    def _check_image_shape(self, shape):
        pass

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False
        tags.requires_fit = True
        return tags
