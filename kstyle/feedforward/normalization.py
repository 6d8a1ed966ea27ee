"""Conditional instance normalization: one network, a scale and shift per style.

Dumoulin, Shlens & Kudlur (2017), "A learned representation for artistic
style", the approach of magenta's image_stylization: every convolution is
shared by all styles, and each style only owns the `gamma` and `beta` of every
instance normalization, `[styles, channels]`. A style is then a few thousand
numbers, and styles mix by mixing those numbers, `gamma = w . Gamma`,
`beta = w . Beta` for a weight per style `w`, which paints a blend rather than
a cross-fade of two pictures.
"""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="kstyle")
class ConditionalInstanceNormalization(keras.layers.Layer):
    """Instance normalization whose scale and shift are a weighted mix of per-style ones.

    Called as `layer(features, style_weights)`, with `style_weights` float
    `[batch, styles]`: one-hot picks a style, other rows blend them. Weights
    are used as given (magenta's habit); `kstyle.feedforward.blend` normalizes
    a user's blend to sum to 1, so the mix stays among trained values.

    Args:
        styles: how many styles the layer holds.
        epsilon: added to the variance, as in `GroupNormalization`.
    """

    def __init__(self, styles, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.styles, self.epsilon = int(styles), float(epsilon)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        # Identity at the start, like GroupNormalization's defaults.
        self.gamma = self.add_weight(name="gamma", shape=(self.styles, channels), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(self.styles, channels), initializer="zeros")

    def call(self, features, style_weights, statistics=None):
        """Normalizes `features` per image and channel, then scales and shifts them by style.

        `statistics`, `(mean, variance)` `[batch, 1, 1, channels]`, replaces the
        features' own: a tiled run (`kstyle.feedforward.tiling`) normalizes each
        tile with the whole image's.
        """
        if statistics is None:
            statistics = tf.nn.moments(features, axes=[1, 2], keepdims=True)
        mean, variance = statistics
        weights = tf.cast(style_weights, self.gamma.dtype)
        gamma = tf.cast(tf.matmul(weights, self.gamma), features.dtype)[:, None, None, :]
        beta = tf.cast(tf.matmul(weights, self.beta), features.dtype)[:, None, None, :]
        # One scale per channel, so the full-resolution tensor is touched three times, not four; the mean is
        # subtracted first, not folded into the shift, which would cancel digits where the mean is large.
        scale = gamma * tf.math.rsqrt(tf.cast(variance, features.dtype) + tf.cast(self.epsilon, features.dtype))
        return (features - tf.cast(mean, features.dtype)) * scale + beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "styles": self.styles, "epsilon": self.epsilon}
