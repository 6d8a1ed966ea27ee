"""`PerceptualLoss`: Johnson et al.'s training loss as a Keras loss, for any image model.

`y_true` is the batch of photos, `y_pred` the model's stylized output (both 0-255
RGB); the style is fixed at construction. It is the same `Objective` that
`kstyle stylize` minimizes, averaged over the batch the Keras way, so a model
compiled with it trains under `fit()`, callbacks and `tf.distribute` like any
other. Its config carries the style's Gram matrices, so it serializes with the
model and needs no style image to be rebuilt.
"""

import keras
import numpy as np
import tensorflow as tf

from kstyle import images, vgg
from kstyle.layer_spec import format_layer_weights, parse_layer_weights
from kstyle.objective import Objective, StyleTarget, style_grams
from kstyle.options import TrainOptions

# `kstyle train`'s defaults (Johnson et al.'s layers), so the Keras API trains what the CLI trains.
_DEFAULTS = TrainOptions
JOHNSON_STYLE_LAYERS = _DEFAULTS.style_layers
JOHNSON_CONTENT_LAYERS = _DEFAULTS.content_layers


@keras.saving.register_keras_serializable(package="kstyle")
class PerceptualLoss(keras.losses.Loss):
    """Style of a fixed image, content of `y_true`, total variation; for `y_pred`.

    Args:
        style_grams: `{layer: [N, N]}` per-position Gram matrices of the style
            (see `from_style_image`, which computes them).
        style_layers, content_layers: VGG16 layers as `name[:weight],...`.
        style_weight, content_weight, tv_weight: the weights of the terms.
        normalization: `gatys` or `hw`, see `kstyle.losses`.
        vgg_weights, pooling, precision: the VGG16 to measure with.

    Example:
        >>> loss = kstyle.PerceptualLoss.from_style_image("painting.jpg", style_weight=1e-2)
        >>> network.compile(optimizer="adam", loss=loss)
        >>> network.fit(photos, photos, epochs=2)  # y = x: content is the photo itself
    """

    def __init__(self, style_grams, style_layers=JOHNSON_STYLE_LAYERS, content_layers=JOHNSON_CONTENT_LAYERS,
                 style_weight=_DEFAULTS.style_weight, content_weight=_DEFAULTS.content_weight,
                 tv_weight=_DEFAULTS.tv_weight, normalization=_DEFAULTS.gram_normalization,
                 vgg_weights=_DEFAULTS.vgg_weights, pooling=_DEFAULTS.pooling, precision=_DEFAULTS.precision,
                 backbone=None, name="perceptual_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.style_layers = parse_layer_weights(style_layers, "style_layers")
        self.content_layers = parse_layer_weights(content_layers, "content_layers")
        self.style_weights = (float(style_weight), float(content_weight), float(tv_weight))
        self.normalization, self.vgg_weights, self.pooling, self.precision = (
            normalization, vgg_weights, pooling, precision)
        self.style_grams = {layer: tf.constant(np.asarray(gram, np.float32)) for layer, gram in style_grams.items()}
        backbone = backbone or vgg.load_vgg16(vgg_weights)
        names = [n for n, _ in self.style_layers] + [n for n, _ in self.content_layers]
        self.objective = Objective(
            vgg.feature_extractor(backbone.model, names, pooling, precision), [StyleTarget(self.style_grams)],
            self.style_layers, self.content_layers, style_weight=style_weight, content_weight=content_weight,
            tv_weight=tv_weight, normalization=normalization)

    @classmethod
    def from_style_image(cls, style_image, style_size=512, backbone=None, **kwargs):
        """Builds the loss for a style image (path, PIL image or array) resized to `style_size`."""
        style_layers = parse_layer_weights(kwargs.get("style_layers", JOHNSON_STYLE_LAYERS), "style_layers")
        backbone = backbone or vgg.load_vgg16(kwargs.get("vgg_weights", _DEFAULTS.vgg_weights))
        style = images.resize_longest(images.read_image(style_image), style_size)
        extractor = vgg.feature_extractor(backbone.model, [n for n, _ in style_layers],
                                          kwargs.get("pooling", _DEFAULTS.pooling), "float32")
        grams = style_grams(extractor, style, [n for n, _ in style_layers])
        return cls(grams, backbone=backbone, **kwargs)

    def terms(self, photos, stylized):
        """Returns `(total, {"style", "content", "tv"})` per image, `[batch]` each."""
        content = tf.nest.map_structure(tf.stop_gradient, self.objective.content_features(photos))
        return self.objective.per_image(tf.cast(stylized, tf.float32), content)

    def call(self, y_true, y_pred):
        return self.terms(y_true, y_pred)[0]

    def get_config(self):
        style_weight, content_weight, tv_weight = self.style_weights
        return {**super().get_config(),
                "style_grams": {layer: gram.numpy().tolist() for layer, gram in self.style_grams.items()},
                "style_layers": format_layer_weights(self.style_layers),
                "content_layers": format_layer_weights(self.content_layers),
                "style_weight": style_weight, "content_weight": content_weight, "tv_weight": tv_weight,
                "normalization": self.normalization, "vgg_weights": self.vgg_weights, "pooling": self.pooling,
                "precision": self.precision}
