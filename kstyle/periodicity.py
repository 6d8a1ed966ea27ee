"""How much of an image is a periodic pattern: the score that catches a network's hatching.

A feed-forward style network can match a painting's Gram statistics with a fine
periodic texture (a diagonal hatching laid over the photo), and the Gram loss
rates that well, so it needs its own measure. Photographs and paintings spread
their high-frequency power over many directions; a periodic pattern puts it in
a few spectral peaks. The score is the strongest peak above `MIN_FREQUENCY`
(cycles per pixel), divided by the median power of the ring of frequencies at
the same radius: a peak that stands out from everything else at its scale.
Windowing (Hann) keeps the image's borders from making peaks of their own.
NumPy only.
"""

from typing import NamedTuple

import numpy as np

# Below 1/8 cycle per pixel (periods over 8 px) is content: windows, railings, the painting's own strokes.
MIN_FREQUENCY = 1 / 8


class Peak(NamedTuple):
    """The strongest periodic component of an image.

    Attributes:
        score: its power over the median power of its frequency ring.
        period: its period in pixels.
        angle: its direction in degrees (0: vertical stripes, 90: horizontal).
    """
    score: float
    period: float
    angle: float


def strongest_peak(image, min_frequency=MIN_FREQUENCY):
    """Returns the `Peak` of an RGB or grey image (any dtype, 0-255 scale)."""
    grey = np.asarray(image, np.float64)
    if grey.ndim == 3:
        grey = grey[..., :3] @ np.array([0.299, 0.587, 0.114])
    height, width = grey.shape
    window = np.hanning(height)[:, None] * np.hanning(width)[None, :]
    power = np.abs(np.fft.rfft2((grey - grey.mean()) * window)) ** 2
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.hypot(fx, fy)
    rings = np.rint(radius * max(height, width)).astype(np.int64)
    medians = _ring_medians(power, rings)
    ratio = power / np.maximum(medians[rings], 1e-12)
    ratio[radius <= min_frequency] = 0.0
    row, column = np.unravel_index(np.argmax(ratio), ratio.shape)
    frequency = radius[row, column]
    angle = float(np.degrees(np.arctan2(fy[row, 0], fx[0, column])) % 180.0)
    return Peak(float(ratio[row, column]), float(1.0 / frequency), angle)


def score(image, min_frequency=MIN_FREQUENCY):
    """The strongest peak's score alone (see `strongest_peak`)."""
    return strongest_peak(image, min_frequency).score


def _ring_medians(power, rings):
    order = np.argsort(rings, axis=None)
    sorted_rings = rings.ravel()[order]
    sorted_power = power.ravel()[order]
    medians = np.zeros(sorted_rings.max() + 1)
    starts = np.searchsorted(sorted_rings, np.arange(len(medians)))
    ends = np.append(starts[1:], len(sorted_rings))
    for ring, (start, end) in enumerate(zip(starts, ends)):
        if end > start:
            medians[ring] = np.median(sorted_power[start:end])
    return medians
