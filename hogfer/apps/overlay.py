"""Drawing results on frames: face boxes, labels, probability bars, landmarks, blink counts.

Everything is sized from the image (:func:`ui_scale`), so a label reads the
same on a 640x480 webcam frame and a 6000x4000 photo, and every text sits on
an opaque backing box with a thick font, so it survives video compression.
"""

import numpy as np

__all__ = ["draw_faces", "draw_status", "ui_scale"]

_GREEN = (80, 200, 80)
_WHITE = (255, 255, 255)
_PANEL = (32, 32, 32)
_LANDMARK = (0, 220, 255)
_FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX


def ui_scale(shape):
    """Size unit of the overlay for an image of ``shape``: 1 at 600 pixels on the short side, at least 0.7."""
    return max(0.7, min(shape[0], shape[1]) / 600.0)


def _text(img, text, org, unit, *, size=0.6, color=_WHITE, panel=_PANEL):
    """Text with its baseline-left corner at ``org``, on a backing box; returns the box's (width, height)."""
    import cv2

    scale = size * unit
    thickness = max(1, int(round(2 * unit)))
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
    pad = max(2, int(round(4 * unit)))
    x, y = int(org[0]), int(org[1])
    h, w = img.shape[:2]
    x = min(max(0, x), max(0, w - tw - 2 * pad))
    y = min(max(th + pad, y), h - base - pad)
    if panel is not None:
        cv2.rectangle(img, (x, y - th - pad), (x + tw + 2 * pad, y + base + pad), panel, -1)
    cv2.putText(img, text, (x + pad, y), _FONT, scale, color, thickness, cv2.LINE_AA)
    return tw + 2 * pad, th + base + 2 * pad


def _bars(img, emotions, probs, x, y, unit):
    """The probability bar chart with percentages, its top-left corner at (x, y)."""
    import cv2

    row = int(round(22 * unit))
    name_w, bar_w, pct_w = int(round(46 * unit)), int(round(80 * unit)), int(round(52 * unit))
    width = name_w + bar_w + pct_w
    h, w = img.shape[:2]
    x = int(min(max(0, x), max(0, w - width)))
    y = int(min(max(0, y), max(0, h - row * len(emotions))))
    cv2.rectangle(img, (x, y), (x + width, y + row * len(emotions)), _PANEL, -1)
    best = int(np.argmax(probs))
    scale, thickness = 0.45 * unit, max(1, int(round(1.5 * unit)))
    for i, (name, p) in enumerate(zip(emotions, probs)):
        top = y + i * row
        color = _GREEN if i == best else (150, 150, 150)
        cv2.putText(img, name[:3], (x + 4, top + row - int(6 * unit)), _FONT, scale, _WHITE, thickness, cv2.LINE_AA)
        cv2.rectangle(img, (x + name_w, top + int(4 * unit)), (x + name_w + int(bar_w * float(p)), top + row - int(4 * unit)), color, -1)
        cv2.putText(img, f"{100 * float(p):3.0f}%", (x + name_w + bar_w + 4, top + row - int(6 * unit)), _FONT, scale, _WHITE, thickness, cv2.LINE_AA)
    return width


def draw_faces(frame, faces, emotions=(), *, landmarks=True, bars=True):
    """Draw each face's box, number, emotion label, probability bars and blink count, in place.

    Sizes follow the image (:func:`ui_scale`), and shrink for faces under
    160 pixels wide, down to the smallest that stays legible.

    ``faces`` are dicts with ``box`` and ``id``, optionally ``emotion``,
    ``probability``, ``probabilities`` (emotion -> probability, as
    :meth:`hogfer.faces.records.Face.to_dict` and the live app's records hold them),
    ``landmarks``, ``blinks`` and ``winks``.
    """
    import cv2

    image_unit = ui_scale(frame.shape)
    for f in faces:
        left, top, right, bottom = (int(round(v)) for v in f["box"])
        # sized with the image, but no larger than the face warrants (small faces in a group photo)
        unit = min(image_unit, max(0.7, (right - left) / 160.0))
        cv2.rectangle(frame, (left, top), (right, bottom), _GREEN, max(2, int(round(2 * unit))))
        label = f"#{f['id']}"
        if f.get("emotion"):
            label += f" {f['emotion']} {f['probability']:.0%}"
        _text(frame, label, (left, top - int(8 * unit)), unit)
        if f.get("blinks") is not None:
            _text(frame, f"blinks {f['blinks']}  winks {f['winks']}", (left, bottom + int(26 * unit)), unit, size=0.5)
        if landmarks and f.get("landmarks") is not None:
            radius = max(1, int(round(unit)))
            for x, y in np.asarray(f["landmarks"]).astype(int):
                cv2.circle(frame, (int(x), int(y)), radius, _LANDMARK, -1)
        probs = f.get("probabilities")
        if isinstance(probs, dict):
            probs = [probs.get(e, 0.0) for e in emotions]
        if bars and probs is not None and len(emotions):
            gap = int(round(8 * unit))
            width = int(round(178 * unit))
            x0 = right + gap if right + gap + width <= frame.shape[1] else left - gap - width
            _bars(frame, emotions, probs, x0, top, unit)
    return frame


def draw_status(frame, text):
    """Draw one status line (model, frame rate, counts) at the top left, in place."""
    unit = ui_scale(frame.shape)
    _text(frame, text, (int(8 * unit), int(28 * unit)), unit, size=0.55)
    return frame
