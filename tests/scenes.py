"""Photos made here for the face tests and benchmarks/bench_photos.py: no face data is committed.

The faces are skimage's astronaut and frames of the shared blink videos (when
their folder is given), pasted into larger scenes at known places and sizes.
"""

from pathlib import Path

import numpy as np

#: Each face of :func:`group_photo`: width in pixels, centre, tilt in degrees.
GROUP_LAYOUT = [(400, (200, 250), 0), (200, (600, 250), 0), (100, (900, 200), 0), (95, (1150, 200), 45),
                (380, (300, 700), -45), (240, (800, 700), 0), (140, (1200, 650), 0), (120, (1450, 800), 0)]


def astronaut_bgr():
    """scikit-image's astronaut photo (512x512), BGR."""
    import cv2
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def video_frames(folder, picks=(("smile_wink_blink", 100), ("talking_khill", 60))):
    """The frames ``picks`` (video name, frame index) of the shared videos in ``folder``, those that exist."""
    import cv2

    frames = []
    for name, index in picks:
        path = Path(folder) / f"{name}.mp4" if folder else None
        if path is None or not path.exists():
            continue
        cap = cv2.VideoCapture(str(path))
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        cap.release()
        if ok:
            frames.append(frame)
    return frames


def paste(canvas, image, width, centre, angle=0.0):
    """Paste ``image`` scaled to ``width`` and rotated by ``angle`` degrees, centred at ``centre``."""
    import cv2

    h, w = image.shape[:2]
    scale = width / w
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += np.array(centre) - (w / 2, h / 2)
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, canvas.shape[1::-1])
    warped = cv2.warpAffine(image, matrix, canvas.shape[1::-1], flags=cv2.INTER_AREA)
    canvas[mask > 0] = warped[mask > 0]


def group_photo(video_folder=None):
    """A 1600x1000 'group photo': faces 40 to 200 pixels wide, two tilted by 45 degrees.

    Returns the image and the centre of every face put in it.
    """
    from hogfer.faces import landmarks as face

    head = astronaut_bgr()[30:230, 130:320]  # the astronaut's head and some background; her face is ~95 of 190 px
    sources = [head] + video_frames(video_folder)
    canvas = np.full((1000, 1600, 3), 170, np.uint8)
    canvas[:, :, 1] = np.linspace(120, 200, 1600).astype(np.uint8)[None, :]
    placed = []
    for k, (width, centre, angle) in enumerate(GROUP_LAYOUT):
        image = sources[k % len(sources)]
        paste(canvas, image, width, centre, angle)
        box = face.detect_faces(np.ascontiguousarray(image[..., 1]), 1)[0][0]  # the face in the source
        offset = (np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]) - (image.shape[1] / 2, image.shape[0] / 2)) * width / image.shape[1]
        c, s = np.cos(np.radians(-angle)), np.sin(np.radians(-angle))
        placed.append(np.array(centre) + [c * offset[0] - s * offset[1], s * offset[0] + c * offset[1]])
    return canvas, placed
