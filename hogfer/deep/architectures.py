"""The architecture registry: every network :class:`~hogfer.deep.KerasFERClassifier` trains, and its inputs.

Each entry names its builder and declares what it takes besides the face
image: the hybrid also takes hogfer's handcrafted features
(:mod:`hogfer.deep.hybrid_features`). The classifier asks an entry, never a name.
"""

from dataclasses import dataclass

__all__ = ["Architecture", "REGISTRY", "ARCHITECTURES", "get_architecture"]


@dataclass(frozen=True)
class Architecture:
    """One trainable network.

    Attributes
    ----------
    name : str
        The ``architecture`` parameter's value.
    takes_features : bool
        The network has a second input, ``"features"``: the handcrafted
        features of each face, computed by the classifier in ``fit`` and ``predict``.
    """

    name: str
    takes_features: bool = False

    def build(self, input_shape, n_features=None, **params):
        """The Keras model (``params``: the builder's keyword arguments)."""
        if self.takes_features:
            from hogfer.deep.models import build_hybrid

            return build_hybrid(input_shape, n_features, **params)
        from hogfer.deep.seed_networks import build_network

        return build_network(self.name, input_shape, **params)

    def inputs(self, images, features=None):
        """The network's inputs for ``(n, 48, 48)`` faces (and their features, where it takes them)."""
        x = images[..., None].astype("float32")
        return {"image": x, "features": features.astype("float32")} if self.takes_features else x

    def n_features(self, model):
        """Features per face a trained ``model`` of this architecture takes (None: none)."""
        return int(model.get_layer("features").output.shape[-1]) if self.takes_features else None


REGISTRY = {a.name: a for a in [
    Architecture("xception"), Architecture("simple-cnn"), Architecture("hybrid", takes_features=True),
    Architecture("resnet18"), Architecture("resnet34"), Architecture("vgg"), Architecture("wider-cnn"),
    Architecture("inception"), Architecture("dexpression"),
]}
ARCHITECTURES = tuple(REGISTRY)


def get_architecture(name):
    """The registry's entry ``name``; ``ValueError`` naming the known ones otherwise."""
    if name not in REGISTRY:
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}; got {name!r}.")
    return REGISTRY[name]
