"""A painting's palette as a differentiable target: the sliced Wasserstein distance between pixel colours.

Gram matrices on VGG16 features keep which features occur together, and a
network can match them with a picture whose colours are not the painting's: the
networks trained on Grams alone painted muted grey-greens where the painting is
vivid blue and yellow (BENCHMARKS.md). The palette term compares the colours
themselves. Every pixel's RGB is projected on a few fixed directions (the three
channels, brightness, two opponent axes and the three other cube diagonals), and
each projection's quantiles are compared with the painting's: the squared
sliced Wasserstein-2 distance, which is zero exactly when the two pictures have
the same distribution along each direction, and whose gradient moves each pixel
towards the painting's colour of the same rank. It looks at colours only, not
where they are, so it says nothing about strokes; the Grams do that.

Distances are in 0-1 units (pixels divided by 255), averaged over directions and
pixels; `benchmarks/judge_networks.py` judges colour in CIELAB instead, so the
judge is not the term the network was trained on.
"""

import numpy as np
import tensorflow as tf

# Unit directions in RGB that the colours are projected on (rows).
DIRECTIONS = np.array([
    [1, 0, 0], [0, 1, 0], [0, 0, 1],  # the channels
    [1, 1, 1],  # brightness
    [1, -1, 0], [1, 1, -2],  # red-green and yellow-blue
    [1, 1, -1], [1, -1, 1], [-1, 1, 1],  # the other cube diagonals
], np.float32)
DIRECTIONS /= np.linalg.norm(DIRECTIONS, axis=1, keepdims=True)

# How many quantiles of each projection a palette keeps (a few KB per painting).
LEVELS = 256


def palette(image, levels=LEVELS):
    """The painting's palette: `[directions, levels]` quantiles of its projected colours (numpy).

    Args:
        image: a 0-255 RGB image `[h, w, 3]`.
        levels: quantiles per direction, at the middles of `levels` equal
            bins of rank.
    """
    pixels = np.asarray(image, np.float64).reshape(-1, 3) / 255.0
    projected = pixels @ DIRECTIONS.T.astype(np.float64)
    ranks = (np.arange(levels) + 0.5) / levels
    return np.quantile(projected, ranks, axis=0, method="inverted_cdf").T.astype(np.float32)


def palette_distance(images, palettes):
    """Each image's squared sliced Wasserstein-2 distance to its palette, `[batch]`.

    Every pixel is compared, with the painting's colour of the same rank (its
    palette read between quantiles), so every pixel gets a gradient; comparing
    the image's own quantiles would move only one pixel in `n / levels`.

    Args:
        images: 0-255 RGB images `[batch, h, w, 3]`.
        palettes: `[batch, directions, levels]` (see `palette`), one per image.
    """
    images = tf.cast(images, tf.float32)
    palettes = tf.cast(palettes, tf.float32)
    batch, levels = tf.shape(images)[0], tf.shape(palettes)[-1]
    pixels = tf.reshape(images, [batch, -1, 3]) / 255.0
    projected = tf.transpose(tf.einsum("bpc,dc->bpd", pixels, tf.constant(DIRECTIONS)), [0, 2, 1])
    ordered = tf.sort(projected, axis=-1)
    count = tf.shape(ordered)[-1]
    # Pixel i's rank (i + 0.5) / count, as a position among the palette's quantiles (at (j + 0.5) / levels).
    position = (tf.cast(tf.range(count), tf.float32) + 0.5) * tf.cast(levels, tf.float32) / tf.cast(count, tf.float32)
    position = tf.clip_by_value(position - 0.5, 0.0, tf.cast(levels - 1, tf.float32))
    below = tf.cast(tf.floor(position), tf.int32)
    above = tf.minimum(below + 1, levels - 1)
    share = position - tf.cast(below, tf.float32)
    target = tf.gather(palettes, below, axis=-1) * (1 - share) + tf.gather(palettes, above, axis=-1) * share
    return tf.reduce_mean(tf.square(ordered - target), axis=[1, 2])
