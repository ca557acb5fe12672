"""Feature values on real FER2013 faces."""

import doctest
import importlib

import numpy as np
import pytest
from skimage.feature import hog as skimage_hog

from hogfer import HOGFeatures, LandmarkFeatures, SlidingWindowHOG, hog_features
from hogfer.faces import landmarks as face
from hogfer.features.sliding_window import window_origins

HOG_PARAMS = [
    {},
    {"orientations": 8, "pixels_per_cell": (6, 6), "cells_per_block": (2, 2), "block_norm": "L1"},
    {"orientations": 7, "pixels_per_cell": (7, 5), "cells_per_block": (1, 2), "block_norm": "L1-sqrt"},
    {"orientations": 12, "pixels_per_cell": (4, 4), "cells_per_block": (2, 2), "block_norm": "L2", "transform_sqrt": True},
    {"orientations": 9, "pixels_per_cell": (16, 16), "cells_per_block": (1, 1), "block_norm": "L2-Hys"},
]


@pytest.mark.parametrize("params", HOG_PARAMS, ids=str)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_hog_equals_skimage_on_real_faces(faces, params, dtype):
    images = faces[0][:60].astype(dtype)
    if dtype != np.uint8:
        images = images / 255.0 if dtype == np.float64 else (images / 255.0).astype(np.float32)
    expected = np.stack([skimage_hog(img, **params) for img in images])
    got = hog_features(images, **params)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_hog_transformer_matches_function_and_batches(faces):
    images = faces[0][:100]
    expected = hog_features(images)
    np.testing.assert_array_equal(HOGFeatures(batch_size=7).fit_transform(images), expected)
    np.testing.assert_allclose(HOGFeatures(n_jobs=2, batch_size=16).fit_transform(images), expected)


def test_hog_function_rejects_bad_input():
    with pytest.raises(ValueError, match="too small"):
        hog_features(np.zeros((2, 10, 10), np.uint8))
    with pytest.raises(ValueError, match="non-negative"):
        hog_features(-np.ones((2, 48, 48)), transform_sqrt=True)
    with pytest.raises(ValueError, match="pixels_per_cell"):
        hog_features(np.zeros((2, 48, 48)), pixels_per_cell=(0, 8))


def test_integer_images_skip_no_check_that_applies_to_them():
    from hogfer.features._validation import as_image_stack

    flat = np.arange(2 * 2304).reshape(2, 2304) % 256
    for X in (flat, flat.astype(np.uint8), flat.reshape(2, 48, 48)):
        got = as_image_stack(X, image_shape=(48, 48))
        assert got.shape == (2, 48, 48) and got.dtype == X.dtype
        np.testing.assert_array_equal(got, as_image_stack(X.astype(np.float64), image_shape=(48, 48)))
    with pytest.raises(ValueError, match="0 sample"):
        as_image_stack(np.zeros((0, 48, 48), np.uint8))
    with pytest.raises(ValueError, match="expecting 2304 features"):
        as_image_stack(np.zeros((2, 5), np.uint8), image_shape=(48, 48))
    with pytest.raises(ValueError, match="NaN"):
        as_image_stack(np.full((2, 48, 48), np.nan))


def test_sliding_window_hog_is_skimage_hog_of_each_window(faces):
    images = faces[0][:10]
    est = SlidingWindowHOG(window_size=(24, 20), window_step=(12, 14), orientations=8).fit(images)
    origins = window_origins((48, 48), (24, 20), (12, 14))
    assert est.n_windows_ == len(origins) == 9
    expected = np.stack(
        [
            np.concatenate(
                [
                    skimage_hog(img[r : r + 24, c : c + 20], orientations=8, pixels_per_cell=(6, 6), cells_per_block=(2, 2))
                    for r, c in origins
                ]
            )
            for img in images
        ]
    )
    np.testing.assert_allclose(est.transform(images), expected, atol=1e-6)


@pytest.fixture(scope="module")
def landmarks_of_faces(faces):
    images = faces[0]
    return LandmarkFeatures().landmarks(images)


def test_landmarks_are_found_on_most_fer_faces(landmarks_of_faces):
    points, detected = landmarks_of_faces
    assert points.shape == (200, 68, 2) and points.dtype == np.float32
    assert 0.6 < detected.mean() <= 1.0  # dlib finds about 3 in 4 FER faces at 2x
    inside = (points > -5) & (points < 53)
    assert inside.mean() > 0.97
    left, right = face.eye_centers(points[detected])
    assert np.median(left[:, 0]) < np.median(right[:, 0])  # image-left eye is on the left
    assert np.all(np.median(points[detected][:, 48:68, 1], axis=0) > np.median(left[:, 1]))  # mouth below eyes


def test_landmark_features_are_pose_invariant(faces):
    images = faces[0][:20]
    est = LandmarkFeatures(detected_flag=False).fit(images)
    from hogfer.features.landmarks import landmark_geometry

    points, _ = est.landmarks(images)
    theta = np.deg2rad(20)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    moved = points @ rot.T * 3.0 + np.array([100.0, -7.0])
    np.testing.assert_allclose(landmark_geometry(moved), landmark_geometry(points), atol=1e-4)
    names = est.get_feature_names_out()
    assert len(names) == 136 + 231 + 3 and names[-1] == "mouth_aspect_ratio"
    out = est.transform(images)
    ear = out[:, list(names).index("ear_left_eye")]
    assert np.all((ear > 0) & (ear < 1))


def test_face_detected_column(faces, landmarks_of_faces):
    est = LandmarkFeatures(coords=False, distances=False, ratios=False).fit(faces[0])
    out = est.transform(faces[0])
    assert list(est.get_feature_names_out()) == ["face_detected"]
    np.testing.assert_array_equal(out[:, 0].astype(bool), landmarks_of_faces[1])
    with pytest.raises(ValueError, match="at least one"):
        LandmarkFeatures(coords=False, distances=False, ratios=False, detected_flag=False).fit(faces[0])


def test_align_face_levels_the_eyes_on_a_real_photo():
    data = pytest.importorskip("skimage.data")
    import cv2

    gray = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY)
    boxes, scores = face.detect_faces(gray)
    assert len(boxes) == 1
    points = face.predict_landmarks(gray, boxes[0])
    rot = cv2.getRotationMatrix2D((256, 256), 15, 1.0)  # tilt the photo by 15 degrees
    tilted = cv2.warpAffine(gray, rot, (512, 512))
    tilted_points = np.c_[points, np.ones(68)] @ rot.T
    crop = face.align_face(tilted, tilted_points, size=48)
    assert crop.shape == (48, 48) and crop.dtype == np.uint8
    warped = np.c_[tilted_points, np.ones(68)] @ face.alignment_matrix(tilted_points, 48).T
    left, right = face.eye_centers(warped)
    np.testing.assert_allclose([left[0], right[0], left[1], right[1]], np.array([0.31, 0.68, 0.39, 0.39]) * 48, atol=1e-3)
    ear = face.eye_aspect_ratio(points[face.RIGHT_EYE])
    assert 0.15 < ear < 0.45  # her eyes are open


@pytest.mark.parametrize(
    "module", ["hogfer.features.hog", "hogfer.features.sliding_window", "hogfer.features.landmarks", "hogfer.features.pixels"]
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_dask_cluster_gives_the_same_features(faces):
    pytest.importorskip("dask.distributed")
    import joblib
    from dask.distributed import Client, LocalCluster

    images = faces[0][:64]
    local = np.hstack([HOGFeatures().fit_transform(images), LandmarkFeatures().fit_transform(images)])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client, joblib.parallel_backend("dask"):
            hog = HOGFeatures(batch_size=16).fit_transform(images)
            lm = LandmarkFeatures(batch_size=16).fit_transform(images)
            workers = len(client.scheduler_info()["workers"])
    assert workers == 2
    np.testing.assert_allclose(np.hstack([hog, lm]), local)


def _naive_dense_sift(image, y, x, size):
    """One descriptor computed patch by patch, the plain way (no integral images), before normalisation."""
    img = image.astype(np.float64)
    gy, gx = np.gradient(img)
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), 2 * np.pi) * (8 / (2 * np.pi))
    cell, top, left = size // 4, y - size // 2, x - size // 2
    out = []
    for i in range(4):
        for j in range(4):
            hist = np.zeros(8)
            for r in range(top + i * cell, top + (i + 1) * cell):
                for c in range(left + j * cell, left + (j + 1) * cell):
                    b, f = int(np.floor(angle[r, c])) % 8, angle[r, c] - np.floor(angle[r, c])
                    hist[b] += magnitude[r, c] * (1 - f)
                    hist[(b + 1) % 8] += magnitude[r, c] * f
            out.append(hist)
    return np.concatenate(out)


def test_dense_sift_matches_a_plain_patch_by_patch_computation(drawn_faces):
    from hogfer.features.bovw import dense_sift

    face = drawn_faces[3]
    raw, positions = dense_sift(face[None], step=4, sizes=(8, 12), root=False)
    for k in (0, 7, len(positions) // 2, len(positions) - 1):
        y, x = positions[k]
        size = 8 if k < len(positions) - (len(range(6, 43, 4)) ** 2) else 12
        expected = _naive_dense_sift(face, y, x, size)
        expected /= np.linalg.norm(expected) + 1e-7
        expected = np.minimum(expected, 0.2)
        expected /= np.linalg.norm(expected) + 1e-7
        np.testing.assert_allclose(raw[0, k], expected, atol=1e-5)


def test_dense_sift_sees_the_orientation_of_stripes():
    from hogfer.features.bovw import dense_sift

    stripes = np.tile((np.arange(48) // 3 % 2 * 255).astype(np.uint8), (48, 1))  # vertical stripes: horizontal gradients
    raw, _ = dense_sift(stripes[None], sizes=(8,), root=False)
    per_bin = raw[0].reshape(-1, 16, 8).sum(axis=(0, 1))
    assert per_bin[[0, 4]].sum() > 0.95 * per_bin.sum()  # 0 and 180 degrees


def test_bag_of_visual_words_learns_a_codebook_and_normalises_each_cell(drawn_faces):
    from hogfer import BagOfVisualWords

    bovw = BagOfVisualWords(n_words=16, pyramid=(1, 2), normalize="l1").fit(drawn_faces)
    assert bovw.codebook_.shape == (16, 128)
    features = bovw.transform(drawn_faces)
    assert features.shape == (24, 16 * 5) and len(bovw.get_feature_names_out()) == 80
    cells = features.reshape(24, 5, 16).sum(axis=2)
    np.testing.assert_allclose(cells, np.array([0.5, 0.125, 0.125, 0.125, 0.125])[None].repeat(24, 0), rtol=1e-5)
    hellinger = BagOfVisualWords(n_words=16, pyramid=(1, 2)).fit(drawn_faces).transform(drawn_faces)
    np.testing.assert_allclose((hellinger**2).sum(axis=1), 1.0, rtol=1e-5)  # unit norm: the Hellinger kernel is linear here
    same = BagOfVisualWords(n_words=16, pyramid=(1, 2), normalize="l1").fit(drawn_faces)
    np.testing.assert_array_equal(same.codebook_, bovw.codebook_)  # seeded


def test_bag_of_visual_words_sparse_output_holds_the_same_histograms(drawn_faces):
    import scipy.sparse as sp

    from hogfer import BagOfVisualWords

    dense = BagOfVisualWords(n_words=16, pyramid=(1, 2), batch_size=5).fit(drawn_faces)
    sparse = dense.set_params(sparse_output=True).transform(drawn_faces)  # several batches, stacked
    assert sp.issparse(sparse) and sparse.format == "csr" and sparse.nnz < sparse.shape[0] * sparse.shape[1]
    np.testing.assert_array_equal(sparse.toarray(), dense.set_params(sparse_output=False).transform(drawn_faces))


def test_bag_of_visual_words_saved_before_sparse_output_still_loads(drawn_faces):
    from hogfer import BagOfVisualWords

    old = BagOfVisualWords(n_words=8, pyramid=(1,)).fit(drawn_faces)
    state = old.__getstate__()
    del state["sparse_output"]  # as in a model saved by an older hogfer
    restored = BagOfVisualWords.__new__(BagOfVisualWords)
    restored.__setstate__(state)
    np.testing.assert_array_equal(restored.transform(drawn_faces), old.transform(drawn_faces))


def test_bag_of_visual_words_bad_input():
    from hogfer import BagOfVisualWords

    faces = np.zeros((4, 48, 48), np.uint8)
    with pytest.raises(ValueError, match="multiples of 4"):
        BagOfVisualWords(sizes=(6,)).fit(faces)
    with pytest.raises(ValueError, match="does not fit"):
        BagOfVisualWords(sizes=(8,)).fit(np.zeros((4, 6, 6), np.uint8))
    with pytest.raises(ValueError, match="more than the"):
        BagOfVisualWords(n_words=500, max_descriptors=100).fit(faces)
    fitted = BagOfVisualWords(n_words=4, pyramid=(1,)).fit(np.random.default_rng(0).integers(0, 256, (4, 48, 48), dtype=np.uint8))
    with pytest.raises(ValueError):
        fitted.transform(np.zeros((2, 40, 40), np.uint8))  # a codebook fitted on other image sizes
