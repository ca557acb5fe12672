"""Test-time augmentation views (pure NumPy; no Keras)."""

import cv2
import numpy as np
import pytest

from hogfer.tta import TTA_OPTIONS, affine_view, n_views, tta_label, tta_views


@pytest.fixture
def smooth_faces():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (48, 48, 3)).astype(np.uint8)
    return cv2.GaussianBlur(noise, (5, 5), 2).transpose(2, 0, 1).copy()


@pytest.mark.parametrize(("angle", "scale"), [(5, 1.0), (-5, 1.0), (0, 1.1), (12, 0.9), (-30, 1.25)])
def test_affine_view_is_opencvs_warp_about_the_centre(smooth_faces, angle, scale):
    m = cv2.getRotationMatrix2D((23.5, 23.5), angle, scale)
    expected = np.stack(
        [cv2.warpAffine(f.astype(np.float32), m, (48, 48), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for f in smooth_faces]
    )
    got = affine_view(smooth_faces, angle=angle, scale=scale)
    assert got.dtype == np.float32 and got.shape == smooth_faces.shape
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_identity_view_is_the_face(smooth_faces):
    np.testing.assert_array_equal(affine_view(smooth_faces), smooth_faces.astype(np.float32))


@pytest.mark.parametrize("tta", TTA_OPTIONS)
def test_each_set_starts_with_the_face_and_has_its_count(smooth_faces, tta):
    views = tta_views(smooth_faces, tta)
    assert len(views) == n_views(tta) and views[0] is smooth_faces
    assert all(v.shape == smooth_faces.shape for v in views)
    if tta not in (False, "shifts"):  # the sets with a mirror image of each of their views
        for v in views:
            assert any(np.allclose(v[:, :, ::-1], w) for w in views)
    assert tta_label(tta) == ("off" if tta is False else f"{'affine' if tta is True else tta}, {n_views(tta)} views")


def test_unknown_set_is_refused(smooth_faces):
    with pytest.raises(ValueError, match="tta must be one of"):
        tta_views(smooth_faces, "crops")
    for bad in (3, None, 1.0):
        with pytest.raises(ValueError, match="tta must be one of"):
            n_views(bad)
