"""Painting in strips gives the one-piece picture, for every kind of network, eagerly and in a graph."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image

from kstyle.feedforward import tiling
from kstyle.feedforward.network import StyleNetwork
from kstyle.feedforward.painter import painter

NETWORKS = {
    "thin, two styles": dict(width=4, residual_blocks=2, widths=(4, 6, 6), decoder_widths=(4, 2), styles=("a", "b")),
    "full resolution, dilated": dict(width=4, residual_blocks=2, downsamplings=0, dilations=(2,), styles=("a",)),
    "antialiased, plain normalization": dict(width=4, residual_blocks=1, downsamplings=1, antialias=True),
    "painting shrunk": dict(width=4, residual_blocks=1, downsamplings=1, shrink=2, styles=("a", "b")),
}


def _network(settings):
    keras.utils.set_random_seed(1)
    network = StyleNetwork(**settings)
    network(np.zeros((1, 32, 32, 3), np.float32))
    rng = np.random.default_rng(2)  # scales and shifts away from a fresh network's 1 and 0
    for variable in network.weights:
        if variable.path.endswith(("gamma", "beta")):
            variable.assign(variable + rng.normal(0, 0.3, variable.shape).astype(np.float32))
    return network


@pytest.mark.parametrize("settings", NETWORKS.values(), ids=NETWORKS.keys())
def test_strips_give_the_one_piece_picture(settings):
    network = _network(settings)
    photo = synthetic_image(75, 61, seed=3)[None]
    weights = tf.constant([[0.3, 0.7]]) if len(network.styles) == 2 else None
    expected = network(photo, style_weights=weights).numpy() if weights is not None else network(photo).numpy()
    for strip_pixels in (64, 1000, 10**6):  # rows of 8 (many strips), a few, one
        painted = tiling.paint(network, photo, weights, strip_pixels=strip_pixels).numpy()
        assert painted.shape == expected.shape
        np.testing.assert_allclose(painted, expected, atol=0.02)  # of 255: float rounding


def test_strips_in_a_graph_of_any_size():
    network = _network(NETWORKS["thin, two styles"])
    run = tf.function(lambda images, weights: tiling.paint(network, images, weights, strip_pixels=200),
                      input_signature=[tf.TensorSpec([1, None, None, 3]), tf.TensorSpec([1, 2])])
    weights = tf.constant([[0.5, 0.5]])
    for height, width in ((40, 33), (99, 130)):
        photo = synthetic_image(height, width, seed=height)[None]
        np.testing.assert_allclose(run(photo, weights).numpy(), network(photo, style_weights=weights).numpy(),
                                   atol=0.02)


def test_the_painter_switches_to_strips_above_one_piece(monkeypatch):
    network = _network(NETWORKS["thin, two styles"])
    photos = np.stack([synthetic_image(48, 40, seed) for seed in (1, 2)])
    paint = painter(network, [0.0, 1.0], strength=0.6)
    expected = paint(photos).numpy()
    called = []
    original = tiling.paint
    monkeypatch.setattr(tiling, "ONE_PIECE_PIXELS", 100)
    monkeypatch.setattr(tiling, "paint", lambda *args, **kwargs: called.append(1) or original(*args, **kwargs))
    np.testing.assert_allclose(paint(photos).numpy(), expected, atol=0.02)
    assert len(called) == 2  # one image at a time, each in strips


def test_any_size_paints_a_blend_and_strength_per_image_in_strips(monkeypatch):
    from kstyle.feedforward.painter import any_size
    network = _network(NETWORKS["thin, two styles"])
    photos = np.stack([synthetic_image(40, 48, seed) for seed in (4, 5)])
    weights, strength = tf.constant([[1.0, 0.0], [0.2, 0.8]]), tf.constant([0.5, 1.0])
    expected = network(photos, style_weights=weights, strength=strength).numpy()
    monkeypatch.setattr(tiling, "ONE_PIECE_PIXELS", 100)
    np.testing.assert_allclose(any_size(network, photos, weights, strength).numpy(), expected, atol=0.02)
