"""`PerceptualLoss`: Johnson et al.'s training loss as a Keras loss, for any image model.

`y_true` is the batch of photos, `y_pred` the model's stylized output (both 0-255
RGB); the style is fixed at construction. It is the same `Objective` that
`kstyle stylize` minimizes, averaged over the batch the Keras way, so a model
compiled with it trains under `fit()`, callbacks and `tf.distribute` like any
other. Its config carries the style's Gram matrices and the perceptual options,
so it serializes with the model and needs no style image to be rebuilt.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from kstyle import images
from kstyle.errors import UsageError
from kstyle.feedforward.options import johnson_perceptual
from kstyle.perceptual import vgg
from kstyle.perceptual.objective import Objective, StyleTarget, style_grams
from kstyle.perceptual.options import FIELDS, PerceptualOptions


@keras.saving.register_keras_serializable(package="kstyle")
class PerceptualLoss(keras.losses.Loss):
    """Style of a fixed image, content of `y_true`, total variation; for `y_pred`.

    Args:
        style_grams: `{layer: [N, N]}` per-position Gram matrices of the style
            (see `from_style_image`, which computes them).
        options: `PerceptualOptions`; `kstyle train`'s defaults (Johnson et
            al.'s) if omitted. Any of its fields may also be given as a keyword
            (`style_weight=1e-2`), which changes that one.
        backbone: a `vgg.Backbone` to share; loaded from `options.vgg_weights` if omitted.

    Example:
        >>> loss = kstyle.PerceptualLoss.from_style_image("painting.jpg", style_weight=1e-2)
        >>> network.compile(optimizer="adam", loss=loss)
        >>> network.fit(photos, photos, epochs=2)  # y = x: content is the photo itself
    """

    def __init__(self, style_grams, options=None, backbone=None, name="perceptual_loss", **kwargs):
        changes = {key: kwargs.pop(key) for key in FIELDS if key in kwargs}
        super().__init__(name=name, **kwargs)
        self.options = dataclasses.replace(options or johnson_perceptual(), **changes)
        self.style_grams = {layer: tf.constant(np.asarray(gram, np.float32)) for layer, gram in style_grams.items()}
        missing = sorted(set(self.options.style_names) - set(self.style_grams))
        if missing:
            raise UsageError(f"style_grams has no Gram matrix for {', '.join(missing)}")
        backbone = backbone or vgg.load_vgg16(self.options.vgg_weights, self.options.seed)
        extractor = vgg.feature_extractor(backbone.model, self.options.layer_names, self.options.pooling,
                                          self.options.precision)
        self.objective = Objective.from_options(extractor, [StyleTarget(self.style_grams)], self.options)

    @classmethod
    def from_style_image(cls, style_image, style_size=512, options=None, backbone=None, **kwargs):
        """Builds the loss for a style image (path, PIL image or array) resized to `style_size`."""
        changes = {key: kwargs.pop(key) for key in FIELDS if key in kwargs}
        options = dataclasses.replace(options or johnson_perceptual(), **changes)
        backbone = backbone or vgg.load_vgg16(options.vgg_weights, options.seed)
        style = images.resize_longest(images.read_image(style_image), style_size)
        # The targets in float32 whatever the training precision: they are computed once.
        extractor = vgg.feature_extractor(backbone.model, options.style_names, options.pooling, "float32")
        return cls(style_grams(extractor, style, options.style_names), options, backbone=backbone, **kwargs)

    def terms(self, photos, stylized):
        """Returns `(total, {"style", "content", "tv"})` per image, `[batch]` each."""
        content = tf.nest.map_structure(tf.stop_gradient, self.objective.content_features(photos))
        return self.objective.per_image(tf.cast(stylized, tf.float32), content)

    def call(self, y_true, y_pred):
        return self.terms(y_true, y_pred)[0]

    def get_config(self):
        return {**super().get_config(),
                "style_grams": {layer: gram.numpy().tolist() for layer, gram in self.style_grams.items()},
                "options": self.options.to_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        options = config.pop("options", None)
        if "normalization" in config:  # saved before the options existed: flat keywords, this one renamed
            config["gram_normalization"] = config.pop("normalization")
        return cls(options=None if options is None else PerceptualOptions(**options), **config)
