import numpy as np
import tensorflow as tf
from conftest import synthetic_image

from kstyle.perceptual.palette import DIRECTIONS, LEVELS, palette, palette_distance


def _reference_quantiles(image, levels):
    """Sorted projections read at ranks ceil(p * n) - 1: the inverted CDF, written out."""
    projected = np.asarray(image, np.float64).reshape(-1, 3) / 255 @ DIRECTIONS.T
    ordered = np.sort(projected, axis=0)
    ranks = (np.arange(levels) + 0.5) / levels
    return ordered[np.ceil(ranks * len(ordered)).astype(int) - 1].T


def test_directions_are_unit_vectors_with_brightness_among_them():
    np.testing.assert_allclose(np.linalg.norm(DIRECTIONS, axis=1), 1, rtol=1e-6)
    assert any(np.allclose(row, 1 / np.sqrt(3)) for row in DIRECTIONS)


def test_palette_is_the_quantiles_of_each_projection():
    image = synthetic_image(20, 30, seed=3)
    quantiles = palette(image)
    assert quantiles.shape == (len(DIRECTIONS), LEVELS)
    np.testing.assert_allclose(quantiles, _reference_quantiles(image, LEVELS), rtol=1e-6, atol=1e-6)
    # A grey picture has one colour: every quantile of the red channel is its level.
    np.testing.assert_allclose(palette(np.full((8, 8, 3), 51.0), levels=4)[0], 0.2, rtol=1e-6)


def _reference_distance(image, target):
    """Each sorted projection against the palette read at the pixel's rank by linear interpolation."""
    projected = np.sort(np.asarray(image, np.float64).reshape(-1, 3) / 255 @ DIRECTIONS.T, axis=0)
    ranks = (np.arange(len(projected)) + 0.5) / len(projected)
    levels = (np.arange(target.shape[1]) + 0.5) / target.shape[1]
    read = np.stack([np.interp(ranks, levels, row) for row in target], axis=1)
    return np.mean((projected - read) ** 2)


def test_distance_compares_every_pixel_by_rank_and_is_zero_for_the_same_picture():
    painting, photos = synthetic_image(24, 24, seed=1), [synthetic_image(16, 24, seed) for seed in (2, 3)]
    target = palette(painting)
    distances = palette_distance(np.stack(photos), np.stack([target, target])).numpy()
    np.testing.assert_allclose(distances, [_reference_distance(photo, target) for photo in photos], rtol=1e-4)
    assert min(distances) > 1e-3
    same = float(palette_distance(painting[None], target[None])[0])
    assert same < 1e-3 * min(distances)
    # It ignores where colours are: the painting's pixels shuffled are as close.
    shuffled = np.random.default_rng(0).permutation(painting.reshape(-1, 3)).reshape(painting.shape)
    np.testing.assert_allclose(float(palette_distance(shuffled[None], target[None])[0]), same, rtol=1e-4, atol=1e-9)


def test_descending_its_gradient_brings_the_colours_to_the_painting():
    painting = np.zeros((16, 16, 3), np.float32)
    painting[..., 2] = np.linspace(150, 250, 16)[None, :]  # blues
    target = tf.constant(palette(painting)[None])
    image = tf.Variable(synthetic_image(16, 16, seed=4)[None].astype(np.float32))
    distances = []
    for _ in range(60):
        with tf.GradientTape() as tape:
            distance = palette_distance(image, target)[0]
        distances.append(float(distance))
        image.assign_sub(2e7 * tape.gradient(distance, image))  # about a quarter of the way per step
    assert distances[-1] < 0.05 * distances[0]
    np.testing.assert_allclose(image.numpy()[0].mean(axis=(0, 1)), painting.mean(axis=(0, 1)), atol=8)
