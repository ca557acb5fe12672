"""Drawing results on frames: face boxes, labels, probability bars, landmarks, blink counts."""

import numpy as np

__all__ = ["draw_faces", "draw_status"]

_GREEN = (80, 200, 80)
_WHITE = (255, 255, 255)
_BLACK = (0, 0, 0)


def _text(img, text, org, scale=0.5, color=_WHITE, thickness=1):
    import cv2

    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, _BLACK, thickness + 2, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness, cv2.LINE_AA)


def draw_faces(frame, faces, emotions=(), *, landmarks=True, bars=True):
    """Draw each face's box, id, emotion label and a small probability bar chart, in place."""
    import cv2

    h, w = frame.shape[:2]
    for f in faces:
        left, top, right, bottom = (int(round(v)) for v in f["box"])
        cv2.rectangle(frame, (left, top), (right, bottom), _GREEN, 2)
        label = f"#{f['id']}"
        if f.get("emotion"):
            label += f" {f['emotion']} {f['probability']:.0%}"
        _text(frame, label, (left, max(14, top - 6)), 0.55)
        if f.get("blinks") is not None:
            _text(frame, f"blinks {f['blinks']}  {f['blinks_per_minute']:.0f}/min  winks {f['winks']}", (left, min(h - 4, bottom + 18)), 0.45)
        if landmarks and f.get("landmarks") is not None:
            for x, y in np.asarray(f["landmarks"]).astype(int):
                cv2.circle(frame, (int(x), int(y)), 1, (0, 220, 255), -1)
        probs = f.get("probabilities")
        if bars and probs is not None and len(emotions):
            bar_w, row_h = 60, 12
            x0 = right + 6 if right + 6 + bar_w + 40 < w else max(0, left - bar_w - 46)
            for i, (name, p) in enumerate(zip(emotions, probs)):
                y = top + i * row_h
                if y + row_h > h:
                    break
                cv2.rectangle(frame, (x0 + 40, y + 2), (x0 + 40 + int(bar_w * p), y + row_h - 2), _GREEN, -1)
                _text(frame, name[:3], (x0, y + row_h - 2), 0.38)
    return frame


def draw_status(frame, text):
    """Draw one status line (frame rate, counts) at the top left, in place."""
    _text(frame, text, (8, 18), 0.5)
    return frame
