"""`StyleAugmentation`: a Keras layer that repaints training images in random styles.

Style augmentation (Jackson et al. 2019): a classifier trained on photos
repainted with random textures and colours leans less on them and more on
shape, which helps it on images unlike its training set. The layer uses a
style network of several named styles: each image gets a random mixture of
them (uniform over all mixtures, a Dirichlet(1) draw) at a random strength, in
training only; at inference it passes images through unchanged, like
`keras.layers.RandomFlip`. The network is not trained by the layer.
"""

import keras
import tensorflow as tf

from kstyle.feedforward import shipped


@keras.saving.register_keras_serializable(package="kstyle")
class StyleAugmentation(keras.layers.Layer):
    """Repaints each image with a random blend of a network's styles, in training.

    Args:
        model: the style network, a shipped style's name (its whole network is
            used) or a `.keras` file; by default the shipped network with the
            most styles. Saved by name or path: it must be there when a model
            holding the layer is loaded.
        strength: `(low, high)` within [0, 1]: each image's strength is drawn
            uniformly from it (0: the image unchanged, 1: the full style).
        probability: the chance that an image is repainted at all.
        value_range: the images' range, `(0, 255)` or e.g. `(0, 1)`; the output
            keeps it.
        seed: makes the draws repeatable: two layers with one seed draw the
            same sequence (each call moves it on).

    Example:
        >>> augment = kstyle.StyleAugmentation(strength=(0.3, 1.0), probability=0.5, seed=1)
        >>> dataset = dataset.map(lambda x, y: (augment(x, training=True), y))
        >>> model = keras.Sequential([keras.Input((224, 224, 3)), augment, backbone])
    """

    def __init__(self, model=None, strength=(0.5, 1.0), probability=1.0, value_range=(0, 255), seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        low, high = (float(value) for value in strength)
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"strength must be (low, high) with 0 <= low <= high <= 1, got {strength}")
        if not 0.0 <= float(probability) <= 1.0:
            raise ValueError(f"probability must be from 0 to 1, got {probability}")
        bottom, top = (float(value) for value in value_range)
        if not bottom < top:
            raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
        self.source = model or shipped.default_network()
        self.strength, self.probability = (low, high), float(probability)
        self.value_range, self.seed = (bottom, top), seed
        from kstyle.feedforward import apply  # keeps the module importable without loading a network
        self.network = apply.load_keras(shipped.resolve(self.source))
        self.network.trainable = False
        self.styles = tuple(getattr(self.network, "styles", ()))
        # A generator of its own: op-seeded tf.random ops continue one sequence per seed across a process, so
        # two layers seeded alike drew differently; this one starts at the seed and moves on with each draw.
        self._generator = (tf.random.Generator.from_non_deterministic_state() if seed is None
                           else tf.random.Generator.from_seed(int(seed)))

    def call(self, images, training=False):
        images = tf.convert_to_tensor(images)
        if not training:
            return images
        single = images.shape.rank == 3
        batch_images = images[None] if single else images
        bottom, top = self.value_range
        pixels = (tf.cast(batch_images, tf.float32) - bottom) * (255.0 / (top - bottom))
        count = tf.shape(pixels)[0]
        strength = self._uniform([count], *self.strength)
        if self.probability < 1.0:
            strength = tf.where(self._uniform([count], 0.0, 1.0) < self.probability, strength, 0.0)
        given = {"strength": strength}
        if self.styles:
            # Exponential draws normalized: a Dirichlet(1) mixture, every blend equally likely.
            draws = -tf.math.log(self._uniform([count, len(self.styles)], 1e-7, 1.0))
            given["style_weights"] = draws / tf.reduce_sum(draws, axis=1, keepdims=True)
        painted = self.network(pixels, training=False, **given)
        painted = tf.cast(painted * ((top - bottom) / 255.0) + bottom, images.dtype)
        return painted[0] if single else painted

    def _uniform(self, shape, low, high):
        return self._generator.uniform(shape, low, high)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "model": self.source, "strength": list(self.strength),
                "probability": self.probability, "value_range": list(self.value_range), "seed": self.seed}
