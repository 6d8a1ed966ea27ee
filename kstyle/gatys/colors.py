"""Colour preservation (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").

Two ways to keep a photo's colours while taking a painting's brushwork:

* luminance-only transfer: stylize the luminance (Y of YIQ) alone, with the style's
  luminance matched to the content's mean and spread, then put the content's chroma
  (I and Q) back;
* colour matching ("histogram"): before stylizing, move the style image's colours
  so their mean and covariance equal the content's (the paper's linear transform
  `x' = A x + b` with `A = S_c^(1/2) S_s^(-1/2)`).

Everything works on float RGB in [0, 255], NumPy only.
"""

import numpy as np

MODES = ("none", "luminance", "histogram")

_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                        [0.595716, -0.274453, -0.321263],
                        [0.211456, -0.522591, 0.311135]])
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


def to_yiq(rgb):
    """RGB `[..., 3]` in [0, 255] to YIQ (Y in [0, 255])."""
    return np.asarray(rgb, np.float64) @ _RGB_TO_YIQ.T


def from_yiq(yiq):
    """YIQ back to RGB, clipped to [0, 255], float32."""
    return np.clip(np.asarray(yiq) @ _YIQ_TO_RGB.T, 0.0, 255.0).astype(np.float32)


def luminance(rgb):
    """Returns Y `[h, w]`, the luminance, in [0, 255]."""
    return to_yiq(rgb)[..., 0]


def grey(values):
    """Repeats a single channel `[h, w]` into RGB, the form VGG16 takes."""
    return np.repeat(np.clip(values, 0.0, 255.0)[..., None], 3, axis=-1).astype(np.float32)


def matched_luminance(style, content):
    """Returns the style's luminance as grey RGB, shifted and scaled to the content's mean and spread."""
    style_y, content_y = luminance(style), luminance(content)
    scale = content_y.std() / max(style_y.std(), 1e-6)
    return grey((style_y - style_y.mean()) * scale + content_y.mean())


def restore_colors(stylized, content):
    """Returns the stylized luminance with the content's chroma (I and Q); same sizes expected."""
    yiq = to_yiq(content)
    yiq[..., 0] = luminance(stylized)
    return from_yiq(yiq)


def match_colors(style, content):
    """Returns `style` with its colours' mean and covariance moved onto the content's."""
    style_pixels = np.asarray(style, np.float64).reshape(-1, 3)
    content_pixels = np.asarray(content, np.float64).reshape(-1, 3)
    style_mean, content_mean = style_pixels.mean(0), content_pixels.mean(0)
    transform = _sqrtm(np.cov(content_pixels, rowvar=False)) @ _inverse_sqrtm(np.cov(style_pixels, rowvar=False))
    matched = (style_pixels - style_mean) @ transform.T + content_mean
    return np.clip(matched, 0.0, 255.0).reshape(np.shape(style)).astype(np.float32)


def _sqrtm(covariance):
    values, vectors = np.linalg.eigh(covariance)
    return (vectors * np.sqrt(np.maximum(values, 0.0))) @ vectors.T


def _inverse_sqrtm(covariance, floor=1e-3):
    # A flat style channel has no spread to rescale; the floor keeps it flat instead of exploding.
    values, vectors = np.linalg.eigh(covariance)
    return (vectors / np.sqrt(np.maximum(values, floor))) @ vectors.T
