"""Class activation maps: which face regions drive a deep model's emotion.

For networks that end in global average pooling followed by one dense
softmax layer (hogfer's Xception-style and hybrid models), Grad-CAM
(Selvaraju et al., ICCV 2017, :DOI:`10.1109/ICCV.2017.74`) has a closed form:
the gradient of class ``c``'s logit with respect to feature map ``A_k`` is
``w_kc / (H * W)`` at every position, so Grad-CAM's channel weights are the
dense layer's weights and the map is ``ReLU(sum_k w_kc A_k)``, the CAM of
Zhou et al. (CVPR 2016). Computing it that way needs no gradient tape, so it
is the same under TensorFlow, JAX and PyTorch.
"""

import numpy as np

from hogfer.data.fer2013 import IMAGE_SIZE

__all__ = ["grad_cam", "explain_image"]

_FEATURE_LAYER = "exit_act"


def grad_cam(model, face, class_index=None, features=None):
    """Grad-CAM heat map of one 48x48 face for a class.

    Parameters
    ----------
    model : keras.Model
        A model with the ``exit_act`` feature layer and a ``predictions``
        dense layer (``build_xception`` or ``build_hybrid``).
    face : ndarray of shape (48, 48), grey levels 0..255
    class_index : int, default=None
        Class to explain; the predicted class if None.
    features : ndarray of shape (n_features,), default=None
        The hybrid model's handcrafted features of the face.

    Returns
    -------
    heatmap : ndarray of shape (48, 48), values in 0..1
    probabilities : ndarray of shape (n_classes,)
    class_index : int
    """
    import cv2
    import keras

    names = {layer.name for layer in model.layers}
    if _FEATURE_LAYER not in names or "predictions" not in names:
        raise ValueError(f"Grad-CAM needs a model ending in global pooling and a dense layer (xception, hybrid); {model.name!r} is not one.")
    x = np.asarray(face, dtype="float32").reshape(1, IMAGE_SIZE, IMAGE_SIZE, 1)
    inputs = {"image": x, "features": np.asarray(features, "float32").reshape(1, -1)} if len(model.inputs) > 1 else x
    probe = keras.Model(model.inputs, [model.get_layer(_FEATURE_LAYER).output, model.output])
    fmap, probs = (keras.ops.convert_to_numpy(t) for t in probe(inputs, training=False))
    fmap, probs = fmap[0], probs[0]
    c = int(np.argmax(probs)) if class_index is None else int(class_index)
    kernel = keras.ops.convert_to_numpy(model.get_layer("predictions").kernel)
    weights = kernel[: fmap.shape[-1], c]  # the image branch's rows (first in the hybrid's fusion)
    cam = np.maximum(fmap @ weights, 0)
    cam = cv2.resize(cam.astype("float32"), (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_CUBIC)
    cam = np.clip(cam, 0, None)
    return cam / cam.max() if cam.max() > 0 else cam, probs, c


def explain_image(model, image, *, max_faces=4):
    """Grad-CAM maps of the faces in an image for a trained deep model.

    Parameters
    ----------
    model : str
        A trained xception or hybrid model: its name, or the path of its file.
    image : path-like or ndarray
        A 48x48 face crop, or any image, whose faces are found and aligned
        first (:func:`hogfer.faces.pipeline.find_faces`).
    max_faces : int, default=4

    Returns
    -------
    items : list of dict
        Per face: ``face`` (the 48x48 crop), ``heatmap``, ``probabilities``
        and ``class_index``.
    names : list of str
        The emotions, in the model's class order.
    """
    from hogfer.exceptions import HogferError
    from hogfer.faces.photos import read_image
    from hogfer.faces.pipeline import find_faces
    from hogfer.store.files import resolve_model

    estimator, card = resolve_model(model)
    if not card.is_deep:
        raise HogferError(f"{model}: Grad-CAM explains deep models (xception, hybrid); this one is {card.kind}.")
    _, gray = read_image(image)
    crops = [gray] if gray.shape == (IMAGE_SIZE, IMAGE_SIZE) else [f.crop for f in find_faces(gray)[:max_faces]]
    if not crops:
        raise HogferError(f"{image}: no face found.")
    names = [card["emotions"][int(k)] for k in estimator.classes_]  # the classes the model saw, in its order
    items = []
    for crop in crops:
        features = estimator.features_.transform(crop[None])[0] if getattr(estimator, "features_", None) is not None else None
        heatmap, probs, c = grad_cam(estimator.model_, crop, features=features)
        items.append({"face": crop, "heatmap": heatmap, "probabilities": probs, "class_index": c})
    return items, names
