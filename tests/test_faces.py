"""Faces in still images: reading any image, finding small and tilted faces, one library call, the predict CLI."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hogfer.faces import landmarks as face
from hogfer.cli import cli
from hogfer.exceptions import HogferError
from hogfer.faces.photos import read_image
from hogfer.faces.pipeline import find_faces

import scenes


def _astronaut_bgr():
    pytest.importorskip("skimage.data")
    return scenes.astronaut_bgr()


def _video_folder():
    data = os.environ.get("HOGFER_DATA")
    return Path(data).resolve().parent.parent / "video" if data else None


@pytest.fixture(scope="module")
def group_photo():
    """A 1600x1000 'group photo' made here (:func:`scenes.group_photo`) and the centre of every face in it."""
    pytest.importorskip("skimage.data")
    return scenes.group_photo(_video_folder())


def test_find_faces_finds_small_and_tilted_faces_and_at_least_what_dlib_finds(group_photo):
    import cv2

    image, centres = group_photo
    faces = find_faces(image)
    reference, _ = face.detect_faces(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 1)  # dlib's HOG, upsampled once
    assert len(faces) >= len(reference) and len(reference) < len(centres)  # dlib alone misses tilted faces
    for centre in centres:  # every face put in the photo, small and tilted ones included
        assert any(f.box[0] <= centre[0] <= f.box[2] and f.box[1] <= centre[1] <= f.box[3] for f in faces), centre
    assert len(faces) == len(centres)  # and nothing else
    tilted = [f for f in faces if f.angle]
    assert tilted and all(f.crop.shape == (48, 48) and f.landmarks.shape == (68, 2) for f in faces)
    for f in tilted:  # landmarks mapped back into the photo: the eyes lie inside the box
        left, right = face.eye_centers(f.landmarks)
        assert f.box[0] <= left[0] <= f.box[2] and f.box[1] <= right[1] <= f.box[3]


def test_a_weak_find_of_the_search_without_upsampling_alone_is_not_a_face():
    """The astronaut at 1280 pixels: without upsampling, dlib also finds her round mission patch
    (score about 0.02); only the upsampled pass keeps dlib's own threshold."""
    import cv2

    from hogfer.faces.photos import EXTRA_PASS_MIN_SCORE

    image = cv2.resize(_astronaut_bgr(), (1280, 1280), interpolation=cv2.INTER_CUBIC)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    as_it_is, scores = face.detect_faces(gray, 0)
    assert len(as_it_is) == 2 and min(scores) < EXTRA_PASS_MIN_SCORE  # the patch, found as it is
    faces = find_faces(image)
    assert len(faces) == 1 and faces[0].box[3] < 0.5 * image.shape[0]  # her face, in the upper half


def test_read_image_takes_every_layout_and_depth(tmp_path):
    import cv2

    bgr = _astronaut_bgr()
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    deep = bgr.astype(np.uint16) * 257
    for array in (bgr, gray, bgra, deep, bgr / 255.0, gray[..., None]):
        out_bgr, out_gray = read_image(array)
        assert out_bgr.dtype == out_gray.dtype == np.uint8 and out_gray.shape == gray.shape
        assert np.abs(out_gray.astype(int) - gray).max() <= 1
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    cv2.imwrite(str(tmp_path / "rgba.png"), bgra)
    cv2.imwrite(str(tmp_path / "gray16.png"), gray.astype(np.uint16) * 257)
    for name in ("deep.png", "rgba.png", "gray16.png"):
        assert np.abs(read_image(tmp_path / name)[1].astype(int) - gray).max() <= 1, name
    with pytest.raises(HogferError, match="shape"):
        read_image(np.zeros((4, 4, 2)))


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_truncated_image_is_reported_as_truncated_not_as_no_face(tmp_path, suffix):
    import cv2

    ok, encoded = cv2.imencode(suffix, _astronaut_bgr())
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(encoded.tobytes()[: len(encoded) // 2])
    with pytest.raises(HogferError, match="truncated or corrupt"):
        read_image(path)
    result = CliRunner().invoke(cli, ["predict", str(path), "--model", "none"])
    assert result.exit_code == 1 and "truncated or corrupt" in result.output and "Traceback" not in result.output


def test_predict_faces_on_an_array_and_a_path_names_the_model(tmp_path):
    import cv2

    from hogfer import predict_faces
    from hogfer.store.emotion import EmotionModel

    model = EmotionModel.load("lgbm-pixels")
    image = _astronaut_bgr()
    cv2.imwrite(str(tmp_path / "a.png"), image)
    for source in (image, cv2.cvtColor(image, cv2.COLOR_BGR2BGRA), tmp_path / "a.png", str(tmp_path / "a.png")):
        faces = predict_faces(source, model)
        assert len(faces) == 1
        f = faces[0]
        assert f.model == "lgbm-pixels" and set(f.probabilities) == set(model.emotions)
        assert sum(f.probabilities.values()) == pytest.approx(1.0, abs=1e-9)
        assert f.emotion in model.emotions and f.to_dict(1)["model"] == "lgbm-pixels"


def test_the_face_path_maps_landmarks_found_in_a_copy_back_and_tells_the_detector():
    from hogfer.faces.photos import _rotated
    from hogfer.faces.pipeline import FacePipeline
    from hogfer.faces.records import Candidate

    gray = read_image(_astronaut_bgr())[1]
    (upright,) = find_faces(gray, angles=())
    turned, matrix = _rotated(gray, 20.0)
    boxes, scores = face.detect_faces(turned, 1)
    assert len(boxes) == 1

    class Detector:
        seen = []

        def candidates(self, image):
            return [Candidate(upright.box, float(scores[0]), 20.0, searched=turned, matrix=matrix, searched_box=boxes[0], id=7)]

        def located(self, candidate, found):
            self.seen.append((candidate.id, found.id))

    detector, timings = Detector(), {}
    (found,) = FacePipeline(detector)(gray, timings)
    assert detector.seen == [(7, 7)] and found.angle == 20.0 and found.crop.shape == (48, 48)
    assert np.median(np.hypot(*(found.landmarks - upright.landmarks).T)) < 0.05 * (upright.box[2] - upright.box[0])
    assert set(timings) == {"detect", "landmarks", "emotion"}


def test_probabilities_sum_to_one_from_every_engine():
    from hogfer.store.emotion import EmotionModel

    faces = np.random.default_rng(0).integers(0, 256, size=(5, 48, 48), dtype=np.uint8)
    model = EmotionModel.load("xception")
    for engine in ("keras", "onnx", "onnx-int8"):
        model.estimator.set_params(engine=engine)
        probs = model.predict_proba(faces)
        assert probs.shape == (5, 7) and probs.min() >= 0
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)

    class Rounding:  # an engine whose float16 softmax does not sum to 1
        def predict_proba(self, x):
            return np.full((len(x), 7), 0.1427, dtype=np.float16)

    probs = EmotionModel(Rounding(), {"name": "r", "emotions": list("abcdefg")}).predict_proba(faces)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_predict_cli_uses_the_most_accurate_model_and_names_it(group_photo, tmp_path):
    import cv2

    from hogfer.store.emotion import default_model_name

    cv2.imwrite(str(tmp_path / "group.jpg"), group_photo[0], [cv2.IMWRITE_JPEG_QUALITY, 95])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["predict", str(tmp_path / "group.jpg"), "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    best = default_model_name()
    assert f"emotion model: {best}" in result.output
    records = json.loads((out / "predictions.json").read_text())
    assert records[0]["model"] == best and len(records[0]["faces"]) == len(group_photo[1])
    assert all(f["model"] == best for f in records[0]["faces"])
    annotated = cv2.imread(str(out / "group.hogfer.jpg"))
    assert annotated.shape == group_photo[0].shape
    json_out = CliRunner().invoke(cli, ["predict", str(tmp_path / "group.jpg"), "--json", "--model", "lgbm-pixels"])
    assert json.loads(json_out.output)[0]["model"] == "lgbm-pixels"


def test_unknown_detector_is_one_line(tmp_path):
    with pytest.raises(HogferError, match="unknown face detector"):
        find_faces(np.zeros((50, 50), np.uint8), detector="yolo")
    result = CliRunner().invoke(cli, ["predict", "x.png", "--detector", "yolo"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_faces_that_fill_the_image_are_found_in_a_framed_copy(fer):
    # FER2013's faces fill their 48x48 image: dlib finds few of them as they are, the framed copy most
    faces = fer.select("PublicTest").images[:40]
    found = [find_faces(f) for f in faces]
    assert sum(bool(f) for f in found) >= 36
    one = next(f for f in found if f)[0]
    assert np.all(one.box[:2] > -24) and np.all(one.box[2:] < 72)  # mapped back to the image's pixels
    assert 24 < one.box[2] - one.box[0] < 96
    assert one.crop.shape == (48, 48) and one.landmarks.shape == (68, 2)
    # the same face enlarged to fill a 350x350 photo, tight, is found too
    import cv2

    big = cv2.resize(faces[0], (350, 350), interpolation=cv2.INTER_CUBIC)
    if found[0]:
        (again,) = find_faces(big)
        assert np.abs(again.box / (350 / 48) - found[0][0].box).max() < 8


def test_tilted_faces_that_fill_the_image_are_found_in_turned_framed_copies(fer):
    import cv2

    from hogfer.faces import photos

    turn = cv2.getRotationMatrix2D((23.5, 23.5), 45, 1.0)
    tilted = [cv2.warpAffine(f, turn, (48, 48), borderMode=cv2.BORDER_REPLICATE) for f in fer.select("PublicTest").images[:10]]
    found = [find_faces(f, angles=()) for f in tilted]
    assert sum(bool(f) for f in found) >= 8
    finds = [photos._padded_candidates(f, ()) for f in tilted]
    turned = [(f, c) for f, c in zip(found, finds) if c and c[0][2] != 0]
    assert turned, "no face came from the CNN detector's turned copies"
    (face_found,), ((box, score, angle, matrix, searched),) = turned[0]
    assert angle in photos.PADDED_CNN_ANGLES and searched.shape != (48, 48)
    # landmarks found in the turned, framed copy come back in the 48x48 image's pixels
    assert np.all(face_found.landmarks > -24) and np.all(face_found.landmarks < 72)
    # its box is the face's size in the image, not in the enlarged copy
    assert 24 < face_found.box[2] - face_found.box[0] < 96


def test_the_mirrored_cnn_search_maps_its_boxes_back():
    import cv2

    from hogfer.faces import photos

    gray = cv2.cvtColor(_astronaut_bgr(), cv2.COLOR_BGR2GRAY)
    (upright,) = photos._cnn_candidates(gray, 0)
    # the detector on the mirror of the mirrored image is the detector on the image: the same box
    (mirrored,) = photos._cnn_candidates(np.ascontiguousarray(gray[:, ::-1]), 0, mirrored=True)
    width = gray.shape[1]
    assert np.allclose(mirrored[0], [width - 1 - upright[0][2], upright[0][1], width - 1 - upright[0][0], upright[0][3]])
    assert mirrored[1] == pytest.approx(upright[1])


def test_weak_hog_finds_count_in_the_framed_copy_only_where_they_fill_the_image(fer):
    from hogfer.faces import photos

    faces = fer.select("PublicTest").images[:20]
    kept = 0
    for f in faces:
        canvas, matrix = photos._padded(f)
        filling = photos._filling_hog_candidates(canvas, matrix, f.shape)
        assert len(filling) <= 1
        for box, score, *_ in filling:
            kept += 1
            assert score >= photos.FILLING_MIN_SCORE
            inner = photos.map_points(matrix, [[0, 0], [48, 48]]).ravel()
            assert box[0] > inner[0] - 0.3 * 48 * matrix[0, 0] and box[2] < inner[2] + 0.3 * 48 * matrix[0, 0]
    assert kept >= 10  # most of FER2013's faces score somewhere above the lowered threshold
    blank = np.full((48, 48), 128, np.uint8)
    assert photos._filling_hog_candidates(*photos._padded(blank), blank.shape) == []


def test_cropped_images_are_one_face_each(fer):
    face48 = fer.select("PublicTest").images[0]
    (only,) = find_faces(face48, cropped=True)
    assert np.array_equal(only.crop, face48)  # a FER2013 face is its own crop
    assert tuple(only.box) == (0, 0, 47, 47) and only.landmarks.shape == (68, 2)
    blank = np.full((60, 80), 128, np.uint8)
    assert find_faces(blank) == [] and len(find_faces(blank, cropped=True)) == 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_image_under_another_formats_name_is_read_by_its_content(tmp_path, fmt):
    from PIL import Image

    from hogfer.faces.photos import read_image

    rgb = np.random.default_rng(0).integers(0, 256, (30, 40, 3)).astype(np.uint8)
    path = tmp_path / "photo.jpg"  # a PNG or WebP with a JPEG's name
    Image.fromarray(rgb).save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    bgr, gray = read_image(path)
    np.testing.assert_array_equal(bgr[..., ::-1], rgb)
    assert gray.shape == (30, 40)
