"""The loss terms of neural style transfer, each on a stated scale.

Style is compared through Gram matrices, `G = F^T F` over the `h*w` positions
of a layer's `[h, w, ch]` feature map: the uncentred covariance of its channels,
which keeps which features occur together and forgets where. Two
normalizations are offered:

* `gatys` (Gatys et al. 2016): `G = F^T F`, `E = sum((G - A)^2) / (4 N^2 M^2)`
  with `N` channels and `M = h*w` positions.
* `hw` (the TensorFlow tutorial): `G = F^T F / (h*w)`, `E = mean((G - A)^2)`
  over the `N x N` entries.

For the same images the two differ by a factor of exactly 4, so presets move
between them by scaling the style weight (the names are defined with the options,
`kstyle.perceptual.options.NORMALIZATIONS`, so flags are checked without TensorFlow). A spatial
mask weights positions before the Gram is taken, and its energy `sum(mask^2)` replaces `h*w`, so a
region's Gram is on the same footing as a whole image's.
"""

import keras
import tensorflow as tf

from kstyle.errors import UsageError
from kstyle.perceptual.options import NORMALIZATIONS, TV_NORMALIZATIONS


def check_normalization(normalization):
    if normalization not in NORMALIZATIONS:
        raise UsageError(f"gram_normalization must be one of {', '.join(NORMALIZATIONS)}, got {normalization!r}")


def positions(features, mask=None):
    """Returns `M`: `h*w`, or the mask's energy `sum(mask^2)` per image `[batch]`."""
    if mask is None:
        shape = tf.shape(features)
        return tf.cast(tf.fill([shape[0]], shape[1] * shape[2]), features.dtype)
    return tf.reduce_sum(tf.square(tf.cast(mask, features.dtype)), axis=[1, 2, 3])


def gram_matrix(features, normalization="gatys", mask=None):
    """Returns the Gram matrices `[batch, ch, ch]` of features `[batch, h, w, ch]`.

    Args:
        features: a layer's activations.
        normalization: `gatys` for `F^T F`, `hw` for `F^T F / (h*w)`.
        mask: optional weights `[batch, h, w, 1]` applied to each position.
    """
    check_normalization(normalization)
    features = tf.convert_to_tensor(features)
    return gram_from_sum(gram_sum(features, mask), positions(features, mask), normalization)


def gram_sum(features, mask=None):
    """Returns `F^T F` of (masked) features `[batch, h, w, ch]`: a sum over positions.

    Being a sum, it can be accumulated tile by tile (see `kstyle.tiling`).
    """
    features = tf.convert_to_tensor(features)
    if mask is not None:
        features = features * tf.cast(mask, features.dtype)
    return _gram(features)


def gram_from_sum(sum_of_products, num_positions, normalization):
    """Turns `F^T F` into the normalization's Gram: itself (`gatys`) or divided by `M` (`hw`)."""
    if normalization == "hw":
        return sum_of_products / num_positions[:, None, None]
    return sum_of_products


@tf.custom_gradient
def _gram(features):
    """`F^T F` by `tf.einsum`, with the symmetric gradient `F (dG + dG^T)` in one product.

    Autodiff of the einsum would multiply by F twice (once per operand); this
    halves the Gram's share of a step (measured in BENCHMARKS.md).
    """
    gram = tf.einsum("bhwc,bhwd->bcd", features, features)

    def gradient(upstream):
        return tf.einsum("bhwc,bcd->bhwd", features, upstream + tf.linalg.matrix_transpose(upstream))

    return gram, gradient


def target_gram(per_position_gram, num_positions, normalization):
    """Scales a style image's `F^T F / M_style` to the output's `M` positions.

    The paper's unnormalized Gram grows with the image, so a style image of
    another size would otherwise be matched at the wrong scale; for same-sized
    images this is exactly the paper's `A`.
    """
    check_normalization(normalization)
    if normalization == "hw":
        return per_position_gram
    return per_position_gram * num_positions[:, None, None]


def style_layer_loss(gram, target, num_positions, normalization="gatys"):
    """Returns one layer's style loss `E_l` per image `[batch]`.

    Args:
        gram: the output's Gram matrices `[batch, N, N]` (see `gram_matrix`).
        target: the style's Gram `A`, `[N, N]` or `[batch, N, N]`, in the same
            normalization.
        num_positions: `M` per image `[batch]` (see `positions`); used by `gatys`.
        normalization: `gatys` or `hw`.
    """
    check_normalization(normalization)
    difference = gram - target
    if normalization == "hw":
        return tf.reduce_mean(tf.square(difference), axis=[1, 2])
    channels = tf.cast(tf.shape(gram)[-1], gram.dtype)
    # Dividing by M before squaring keeps float32 far from overflow at 4096 px.
    scaled = difference / num_positions[:, None, None]
    return tf.reduce_sum(tf.square(scaled), axis=[1, 2]) / (4.0 * tf.square(channels))


def content_layer_loss(features, target):
    """Returns `mean((F - P)^2)` over a layer's features, per image `[batch]`."""
    return tf.reduce_mean(tf.square(features - target), axis=[1, 2, 3])


def total_variation(images, normalization="sum"):
    """Returns `sum(|neighbour differences|)` of 0-255 images scaled to [0, 1], `[batch]`.

    With `sum`, the same as `tf.image.total_variation(images / 255)`; with
    `pixels`, divided by `h*w`, the same for an image and its tiling, whatever
    the size (see `kstyle.perceptual.options.TV_NORMALIZATIONS`).
    """
    images = tf.convert_to_tensor(images)
    tv = tf.image.total_variation(images / 255.0)
    if normalization == "pixels":
        shape = tf.shape(images)
        return tv / tf.cast(shape[-3] * shape[-2], tv.dtype)
    if normalization not in TV_NORMALIZATIONS:
        raise UsageError(f"tv_normalization must be one of {', '.join(TV_NORMALIZATIONS)}, got {normalization!r}")
    return tv


def lattice_energy(images, period, window=16):
    """Returns the power of what repeats with the pixel grid's `period`, in 0-255 levels squared, `[batch]`.

    A network with stride-2 stages lays a grid of `period` pixels over the
    image, and a style loss that rewards fine texture lets it paint a pattern
    locked to that grid (a hatching): cheap texture the Gram matrices cannot
    tell from brush strokes. Locked to the grid, such a pattern has the same
    value at the same position in every `period x period` cell, so averaging
    the cells of a window of `window x window` cells keeps it and averages
    everything else away. The energy is the variance of those `period**2`
    averages, taken per window and channel and averaged over the image: the
    mean square of the grid-locked component. A photo scores about its local
    variance over `window**2` (a few levels squared); a hatching of amplitude
    `a` adds about `a**2 / 2`.

    Args:
        images: 0-255 `[batch, h, w, ch]`; rows and columns beyond the last
            whole window are ignored (a window is `period * window` pixels;
            smaller images take the largest window that fits).
        period: the grid's period in pixels (`StyleNetwork.lattice_period`).
        window: cells per side of the window the averages are taken over.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    shape = tf.shape(images)
    # Images smaller than a window (training crops) take the largest window that fits, down to one cell.
    window = tf.maximum(tf.minimum(window, tf.minimum(shape[1], shape[2]) // period), 1)
    side = period * window
    rows, columns = shape[1] // side * side, shape[2] // side * side
    images = images[:, :rows, :columns, :]
    channels = images.shape[-1] if images.shape[-1] is not None else shape[3]
    # [b, windows down, cells, phase, windows across, cells, phase, ch]
    cells = tf.reshape(images, [shape[0], rows // side, window, period, columns // side, window, period, channels])
    phases = tf.reduce_mean(cells, axis=[2, 5])  # [b, wy, py, wx, px, ch]: each phase averaged over a window
    variance = tf.math.reduce_variance(phases, axis=[2, 4])
    count = tf.cast(tf.reduce_prod(tf.shape(variance)[1:]), tf.float32)
    return tf.reduce_sum(variance, axis=[1, 2, 3]) / tf.maximum(count, 1.0)  # 0 for an image under one cell


@keras.saving.register_keras_serializable(package="kstyle")
class GramMatrix(keras.layers.Layer):
    """A layer computing Gram matrices, for style losses in your own models.

    Args:
        normalization: `gatys` (`F^T F`) or `hw` (`F^T F / (h*w)`).

    Example:
        >>> features = keras.Input((None, None, 64))
        >>> grams = kstyle.GramMatrix(normalization="hw")(features)  # (None, 64, 64)
    """

    def __init__(self, normalization="hw", **kwargs):
        super().__init__(**kwargs)
        check_normalization(normalization)
        self.normalization = normalization

    def call(self, features):
        return gram_matrix(features, self.normalization)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "normalization": self.normalization}
