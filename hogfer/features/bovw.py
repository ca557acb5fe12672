"""A bag of visual words: dense SIFT descriptors, a learned codebook, spatial-pyramid histograms.

The descriptor is dense SIFT as VLFeat computes it in its fast mode [1]_: at
every point of a regular grid and for each patch size, the patch is split
into 4x4 cells and each cell's gradients are summed into 8 orientation bins
(orientations split linearly between the two nearest bins, every pixel of a
cell weighted alike), giving 128 numbers; these are normalised, clipped at
0.2 and normalised again, as in SIFT [2]_, then mapped to RootSIFT [3]_ (the
square root of the L1-normalised vector), whose Euclidean distance is the
Hellinger distance of the original. No keypoint orientation is estimated: the
faces are aligned. Everything is computed for a whole batch of faces with
NumPy, so it is fast enough for the live app.

``fit`` learns ``n_words`` visual words with mini-batch k-means on a sample of
the training descriptors. ``transform`` assigns every descriptor to its
nearest word and counts the words in each cell of a spatial pyramid [4]_
(the whole face, then 2x2, 4x4, ... cells), so the histogram also says
*where* each kind of patch appears; the histograms are normalised for
histogram-comparison kernels (``"l1"``: each pyramid cell sums to its weight;
``"hellinger"``: then the square root, so a linear model or an RBF kernel on
the result compares histograms by the Hellinger kernel). This is the
representation of Ionescu, Popescu and Grozea's FER2013 entry [5]_.

References
----------
.. [1] A. Vedaldi and B. Fulkerson, "VLFeat: An Open and Portable Library of
   Computer Vision Algorithms", 2008 (``vl_dsift``).
.. [2] D. G. Lowe, "Distinctive Image Features from Scale-Invariant
   Keypoints", IJCV 60(2), 2004.
.. [3] R. Arandjelovic and A. Zisserman, "Three things everyone should know to
   improve object retrieval", CVPR 2012.
.. [4] S. Lazebnik, C. Schmid and J. Ponce, "Beyond Bags of Features: Spatial
   Pyramid Matching for Recognizing Natural Scene Categories", CVPR 2006.
.. [5] R. T. Ionescu, M. Popescu and C. Grozea, "Local Learning to Improve Bag
   of Visual Words Model for Facial Expression Recognition", ICML 2013
   Workshop on Challenges in Representation Learning.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names, check_random_state

from hogfer.features._base import ImageTransformer
from hogfer.features._parallel import map_batches
from hogfer.features._validation import as_image_stack

__all__ = ["BagOfVisualWords", "dense_sift"]

N_BINS = 8


def _grid(shape, step, size):
    """Centres ``(ys, xs)`` of the patches of side ``size`` every ``step`` pixels that fit in the image."""
    h, w = shape
    ys = np.arange(size // 2, h - size // 2 + 1, step)
    xs = np.arange(size // 2, w - size // 2 + 1, step)
    return ys, xs


def dense_sift(images, *, step=2, sizes=(8, 12), root=True):
    """Dense SIFT descriptors of a batch of grey images.

    Parameters
    ----------
    images : ndarray of shape (n, h, w)
    step : int, default=2
        Grid spacing in pixels.
    sizes : sequence of int, default=(8, 12)
        Patch sides in pixels (multiples of 4: each of the 4x4 cells is
        ``size // 4`` pixels wide).
    root : bool, default=True
        Map each descriptor to RootSIFT.

    Returns
    -------
    descriptors : ndarray of shape (n, n_points, 128), dtype float32
    positions : ndarray of shape (n_points, 2)
        Each point's centre ``(y, x)`` in pixels, sizes one after the other.
    """
    x = np.asarray(images, dtype=np.float32)
    gy, gx = np.gradient(x, axis=(1, 2))
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), 2 * np.pi) * (N_BINS / (2 * np.pi))
    low = np.floor(angle).astype(np.int64) % N_BINS
    frac = angle - np.floor(angle)
    n, h, w = x.shape
    # orientation maps: (n, 8, h, w), each gradient split between its two nearest bins
    bins = np.arange(N_BINS)[None, :, None, None]
    maps = (low[:, None] == bins) * (magnitude * (1 - frac))[:, None]
    maps += (((low + 1) % N_BINS)[:, None] == bins) * (magnitude * frac)[:, None]
    # integral images: the sum over any cell is four lookups
    integral = np.zeros((n, N_BINS, h + 1, w + 1), dtype=np.float32)
    integral[:, :, 1:, 1:] = maps.cumsum(axis=2).cumsum(axis=3)
    grids = [_grid((h, w), step, size) for size in sizes]
    d = np.empty((n, sum(len(ys) * len(xs) for ys, xs in grids), 16 * N_BINS), dtype=np.float32)
    positions, start = [], 0
    for size, (ys, xs) in zip(sizes, grids):
        cell = size // 4
        # cell_sums[..., y, x]: the sum over the cell whose top-left pixel is (y, x)
        cell_sums = (integral[:, :, cell:, cell:] - integral[:, :, :-cell, cell:]
                     - integral[:, :, cell:, :-cell] + integral[:, :, :-cell, :-cell])
        y0, x0, count = ys[0] - size // 2, xs[0] - size // 2, len(ys) * len(xs)
        for i in range(4):
            for j in range(4):
                part = cell_sums[:, :, y0 + i * cell : y0 + i * cell + step * (len(ys) - 1) + 1 : step,
                                 x0 + j * cell : x0 + j * cell + step * (len(xs) - 1) + 1 : step]  # (n, 8, n_y, n_x)
                k = 4 * i + j
                d[:, start : start + count, k * N_BINS : (k + 1) * N_BINS] = part.transpose(0, 2, 3, 1).reshape(n, count, N_BINS)
        positions.append(np.stack(np.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2))
        start += count
    np.maximum(d, 0.0, out=d)  # rounding in the integral images can leave -1e-12
    d /= np.linalg.norm(d, axis=2, keepdims=True) + 1e-7
    np.minimum(d, 0.2, out=d)
    d /= np.linalg.norm(d, axis=2, keepdims=True) + 1e-7
    if root:
        d /= d.sum(axis=2, keepdims=True) + 1e-7
        np.sqrt(d, out=d)
    return d, np.concatenate(positions)


def _assign(descriptors, codebook, half_norms, chunk=2048):
    """Index of each descriptor's nearest word: argmax of ``d . c - |c|^2 / 2``, a chunk of rows at a time.

    A chunk's scores (``chunk`` x words) stay in the CPU's cache between the
    product and the argmax; the codebook is transposed once, contiguous.
    """
    flat = descriptors.reshape(-1, descriptors.shape[-1])
    words_t = np.ascontiguousarray(codebook.T)
    words = np.empty(len(flat), dtype=np.int64)
    for start in range(0, len(flat), chunk):
        scores = flat[start : start + chunk] @ words_t
        scores -= half_norms
        words[start : start + chunk] = scores.argmax(axis=1)
    return words.reshape(descriptors.shape[:2])


class BagOfVisualWords(ImageTransformer):
    """Spatial-pyramid histograms of dense-SIFT visual words, with the codebook learned in ``fit``.

    Parameters
    ----------
    n_words : int, default=1000
        Size of the codebook (the words k-means learns).
    step : int, default=2
        Spacing of the descriptor grid in pixels.
    sizes : tuple of int, default=(8, 12)
        Patch sides in pixels, multiples of 4 (several scales).
    pyramid : tuple of int, default=(1, 2, 4)
        Spatial-pyramid levels: each level ``g`` counts the words in a ``g x g``
        grid of cells (1: the whole face).
    normalize : {"hellinger", "l1", "none"}, default="hellinger"
        How each cell's histogram is normalised (see the module's notes).
    max_descriptors : int, default=200_000
        Descriptors sampled from the training faces to learn the codebook.
    random_state : int, RandomState instance or None, default=0
        Seeds the sampling and k-means.
    n_jobs : int, default=None
        Parallel jobs for ``transform`` (joblib; any backend).
    batch_size : int, default=32
        Faces per batch (small batches keep the descriptors in the CPU's cache).
    sparse_output : bool, default=False
        Return a CSR sparse matrix: a face uses a few percent of the words in
        each cell, so this holds a training set in a fraction of the memory,
        and linear models and the cosine metric take it as it is.

    Attributes
    ----------
    codebook_ : ndarray of shape (n_words, 128)
        The visual words.
    n_features_in_ : int
        Pixels per image.
    image_shape_ : (int, int)
        Image size seen in ``fit``.

    See Also
    --------
    dense_sift : the descriptors.

    Examples
    --------
    >>> import numpy as np
    >>> from hogfer import BagOfVisualWords
    >>> faces = np.random.default_rng(0).integers(0, 256, (20, 48, 48), dtype=np.uint8)
    >>> BagOfVisualWords(n_words=16, pyramid=(1, 2)).fit_transform(faces).shape
    (20, 80)
    """

    _parameter_constraints: dict = {
        "n_words": [Interval(Integral, 2, None, closed="left")],
        "step": [Interval(Integral, 1, None, closed="left")],
        "sizes": ["array-like"],
        "pyramid": ["array-like"],
        "normalize": [StrOptions({"hellinger", "l1", "none"})],
        "max_descriptors": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [None, Integral],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "sparse_output": ["boolean"],
    }

    def __init__(
        self,
        *,
        n_words=1000,
        step=2,
        sizes=(8, 12),
        pyramid=(1, 2, 4),
        normalize="hellinger",
        max_descriptors=200_000,
        random_state=0,
        n_jobs=None,
        batch_size=32,
        sparse_output=False,
    ):
        self.n_words = n_words
        self.step = step
        self.sizes = sizes
        self.pyramid = pyramid
        self.normalize = normalize
        self.max_descriptors = max_descriptors
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.sparse_output = sparse_output

    def __setstate__(self, state):
        state.setdefault("sparse_output", False)  # saved before the parameter existed
        super().__setstate__(state)

    def _check_image_shape(self, shape):
        sizes, levels = tuple(self.sizes), tuple(self.pyramid)
        if not sizes or any(int(s) != s or s < 4 or s % 4 for s in sizes):
            raise ValueError(f"sizes must be multiples of 4, at least 4; got {self.sizes!r}.")
        if not levels or any(int(g) != g or g < 1 for g in levels):
            raise ValueError(f"pyramid levels must be positive integers; got {self.pyramid!r}.")
        if max(sizes) > min(shape):
            raise ValueError(f"a patch of {max(sizes)} pixels does not fit in the {shape[0]}x{shape[1]} images.")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the codebook from dense SIFT descriptors of the faces ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width) or (n_samples, height*width)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        from sklearn.cluster import MiniBatchKMeans

        _check_feature_names(self, X, reset=True)
        images = as_image_stack(X)
        self._check_image_shape(images.shape[1:])
        self.image_shape_ = tuple(int(s) for s in images.shape[1:])
        self.n_features_in_ = self.image_shape_[0] * self.image_shape_[1]
        rng = check_random_state(self.random_state)
        n_points = len(self._positions())
        per_image = max(1, min(n_points, -(-self.max_descriptors // len(images))))
        sample = map_batches(self._sample, images, n_jobs=self.n_jobs, batch_size=self.batch_size,
                             desc="bovw descriptors", per_image=per_image, seed=int(rng.randint(2**31 - 1)))
        sample = sample.reshape(-1, sample.shape[-1])
        if len(sample) > self.max_descriptors:
            sample = sample[rng.choice(len(sample), self.max_descriptors, replace=False)]
        if len(sample) < self.n_words:
            raise ValueError(f"n_words={self.n_words} is more than the {len(sample)} descriptors sampled from these faces.")
        kmeans = MiniBatchKMeans(self.n_words, batch_size=4096, n_init=3, random_state=rng.randint(2**31 - 1))
        self.codebook_ = kmeans.fit(sample).cluster_centers_.astype(np.float32)
        return self

    def _sample(self, images, *, per_image, seed):
        import zlib

        descriptors, _ = dense_sift(images, step=self.step, sizes=tuple(self.sizes))
        rng = np.random.default_rng([seed, zlib.crc32(np.ascontiguousarray(images).tobytes())])  # the batch's own draw
        picks = rng.random(descriptors.shape[:2]).argsort(axis=1)[:, :per_image]
        return np.take_along_axis(descriptors, picks[:, :, None], axis=1)

    def _positions(self):
        positions = []
        for size in self.sizes:
            ys, xs = _grid(self.image_shape_, self.step, size)
            positions.append(np.stack(np.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2))
        return np.concatenate(positions)

    def _cells(self):
        """For each pyramid level and descriptor point, the index of the cell it falls in (offset per level)."""
        h, w = self.image_shape_
        pos = self._positions()
        cells, offset = [], 0
        for g in self.pyramid:
            row = np.minimum(pos[:, 0] * g // h, g - 1)
            col = np.minimum(pos[:, 1] * g // w, g - 1)
            cells.append(offset + row * g + col)
            offset += g * g
        return np.stack(cells), offset  # (n_levels, n_points), number of cells

    def _transform_images(self, images):
        return map_batches(self._histograms, images, n_jobs=self.n_jobs, batch_size=self.batch_size, desc="bovw")

    def _histograms(self, images):
        descriptors, _ = dense_sift(images, step=self.step, sizes=tuple(self.sizes))
        codebook = self.codebook_
        words = _assign(descriptors, codebook, 0.5 * (codebook * codebook).sum(axis=1))
        cells, n_cells = self._cells()
        k, n = len(codebook), len(images)
        out = np.zeros((n, n_cells * k), dtype=np.float32)
        image_index = np.arange(n)[:, None]
        for level_cells, g in zip(cells, self.pyramid):
            flat = image_index * (n_cells * k) + (level_cells[None, :] * k + words)
            counts = np.bincount(flat.ravel(), minlength=n * n_cells * k).reshape(n, n_cells * k)
            out += counts  # each level fills only its own cells
        if self.normalize != "none":
            per_cell = out.reshape(n, n_cells, k)
            per_cell /= np.maximum(per_cell.sum(axis=2, keepdims=True), 1.0)
            per_cell *= self._cell_weights()[None, :, None]
            if self.normalize == "hellinger":
                np.sqrt(out, out=out)
        return sp.csr_matrix(out) if self.sparse_output else out

    def _cell_weights(self):
        """Each cell's share: every level weighs the same in all, split evenly among its cells."""
        levels = list(self.pyramid)
        return np.concatenate([np.full(g * g, 1.0 / (len(levels) * g * g), dtype=np.float32) for g in levels])

    def _feature_names(self):
        names = []
        for g in self.pyramid:
            for r in range(g):
                for c in range(g):
                    names += [f"bovw_l{g}_r{r}c{c}_w{j}" for j in range(self.n_words)]
        return names
