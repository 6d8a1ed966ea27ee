"""Spectral peaks the photo did not have: a differentiable charge against a network's regular gratings.

Every feed-forward candidate trained on VGG16 Grams has at some point found a
fine regular grating (a hatching, a cross-hatch) that the Grams pay for and a
viewer sees at once (BENCHMARKS.md). `kstyle.periodicity` measures it after the
fact: a grating puts its power in a few spectral peaks far above the rest of
their frequency ring. This is the same measure made a loss. For each image and
each frequency above `MIN_FREQUENCY`, the log of its (Hann-windowed) power over
its ring's level is compared with the photo's at the same frequency: what
stands above both `FLOOR` and the photo is charged, and the charges are summed,
so a grating of a few peaks costs as much on a large crop as on a small one.
Comparing with the photo lets a railing or a row of windows through (the photo
has them) and charges only what the network adds.

A ring's level is the mean of its log power (a geometric mean, which a few
peaks move little, unlike the plain mean), held constant in the gradient. Let
through, the gradient hides a peak by raising the noise around it: on a free
image, 88 % of a grating was still there when its score had fallen 900-fold
(held constant, 67 %, nearly all in the borders the Hann window hides). Charges
are linear in the log ratio: squared (at weight 3), a half-size network escaped
them by lowering every frequency at once and painted flat pictures within 400
steps (BENCHMARKS.md). On the held-out photos and the networks' pictures, the
largest ratio here came within 0.8-1.2x of `kstyle.periodicity`'s score, whose
median baseline is not differentiable.
"""

import tensorflow as tf

from kstyle.periodicity import MIN_FREQUENCY

# Ratios up to this are never charged. The held-out photos peak at 29-36 (stata's windows at 129),
# the shipped network's pictures at 41-84; kstyle.periodicity's bound for an artifact is 281.
FLOOR = 40.0

_LUMA = (0.299, 0.587, 0.114)


def log_ratios(images, min_frequency=MIN_FREQUENCY):
    """Each frequency's log power over its ring's level, `[batch, h, w // 2 + 1]`; 0 at or below `min_frequency`.

    Args:
        images: RGB images `[batch, h, w, 3]` on the 0-255 scale.
        min_frequency: in cycles per pixel; lower frequencies are content.
    """
    images = tf.cast(images, tf.float32)
    grey = tf.tensordot(images, tf.constant(_LUMA), axes=[[3], [0]])
    grey -= tf.reduce_mean(grey, axis=[1, 2], keepdims=True)
    height, width = tf.shape(grey)[1], tf.shape(grey)[2]
    window = (tf.signal.hann_window(height, periodic=False)[:, None]
              * tf.signal.hann_window(width, periodic=False)[None, :])
    power = tf.square(tf.abs(tf.signal.rfft2d(grey * window)))
    # Relative to the image's own power, so that only the spectrum's shape counts, not its level.
    log_power = tf.math.log(power + 1e-6 * tf.reduce_mean(power, axis=[1, 2], keepdims=True) + 1e-12)
    fy = _frequencies(height)[:, None]
    fx = tf.cast(tf.range(width // 2 + 1), tf.float32)[None, :] / tf.cast(width, tf.float32)
    radius = tf.sqrt(tf.square(fy) + tf.square(fx))
    rings = tf.cast(tf.round(radius * tf.cast(tf.maximum(height, width), tf.float32)), tf.int32)
    num_rings = tf.reduce_max(rings) + 1
    batch = tf.shape(grey)[0]
    ids = tf.range(batch)[:, None, None] * num_rings + rings[None]
    levels = tf.math.unsorted_segment_mean(log_power, ids, batch * num_rings)
    ratios = log_power - tf.stop_gradient(tf.gather(levels, ids))
    return tf.where((radius > min_frequency)[None], ratios, tf.zeros_like(ratios))


def new_peaks(images, photos, floor=FLOOR, min_frequency=MIN_FREQUENCY):
    """The charge per image, `[batch]`: the log ratios' excess over both `floor` and the photo's own, summed.

    Args:
        images: the network's 0-255 output, `[batch, h, w, 3]`.
        photos: the photos it painted, the same shape; what they have is not charged.
        floor: the ratio (power over ring level) below which nothing is charged.
        min_frequency: see `log_ratios`.
    """
    allowed = tf.maximum(tf.stop_gradient(log_ratios(photos, min_frequency)),
                         tf.math.log(tf.constant(float(floor))))
    excess = tf.nn.relu(log_ratios(images, min_frequency) - allowed)
    return tf.reduce_sum(excess, axis=[1, 2])


def _frequencies(size):
    """`numpy.fft.fftfreq(size)` as a float32 tensor: 0, 1, ..., then the negative frequencies, over size."""
    index = tf.range(size)
    signed = tf.where(index < (size + 1) // 2, index, index - size)
    return tf.cast(signed, tf.float32) / tf.cast(size, tf.float32)
