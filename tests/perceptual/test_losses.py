import keras
import numpy as np
import pytest
import tensorflow as tf

from kstyle.errors import UsageError
from kstyle.perceptual import losses


def features(batch=2, height=5, width=7, channels=4, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, height, width, channels)).astype(np.float32)


def numpy_gram(f):
    flat = f.reshape(-1, f.shape[-1]).astype(np.float64)  # [h*w, ch]
    return flat.T @ flat                                 # [ch, ch]


def test_gram_matrix_gatys_is_f_transpose_f():
    f = features()
    gram = losses.gram_matrix(f, "gatys").numpy()
    assert gram.shape == (2, 4, 4)
    for b in range(2):
        np.testing.assert_allclose(gram[b], numpy_gram(f[b]), rtol=1e-5)


def test_gram_matrix_hw_divides_by_positions():
    f = features()
    np.testing.assert_allclose(losses.gram_matrix(f, "hw").numpy()[1], numpy_gram(f[1]) / 35, rtol=1e-5)


def test_gram_matrix_is_symmetric_and_positive_semidefinite():
    gram = losses.gram_matrix(features(channels=6), "hw").numpy()[0]
    # Symmetric up to float32 rounding: oneDNN sums the two triangles' products in different orders.
    np.testing.assert_allclose(gram, gram.T, rtol=0, atol=1e-6 * np.abs(gram).max())
    assert np.linalg.eigvalsh(gram).min() > -1e-5


def test_masked_gram_weights_positions():
    f = features(batch=1)
    mask = np.zeros((1, 5, 7, 1), np.float32)
    mask[:, :2] = 1.0
    gram = losses.gram_matrix(f, "hw", mask).numpy()[0]
    np.testing.assert_allclose(gram, numpy_gram(f[0, :2]) / 14, rtol=1e-5)
    np.testing.assert_allclose(losses.positions(tf.constant(f), mask).numpy(), [14.0])


def test_style_layer_loss_gatys_matches_the_paper():
    f, s = features(batch=1, seed=1), features(batch=1, seed=2)
    G, A = numpy_gram(f[0]), numpy_gram(s[0])
    N, M = 4, 35
    expected = ((G - A) ** 2).sum() / (4 * N**2 * M**2)
    loss = losses.style_layer_loss(losses.gram_matrix(f, "gatys"), A.astype(np.float32), tf.constant([35.0]), "gatys")
    np.testing.assert_allclose(loss.numpy(), [expected], rtol=1e-5)


def test_style_layer_loss_hw_is_mean_squared_difference():
    f, s = features(batch=1, seed=1), features(batch=1, seed=2)
    G, A = numpy_gram(f[0]) / 35, numpy_gram(s[0]) / 35
    loss = losses.style_layer_loss(losses.gram_matrix(f, "hw"), A.astype(np.float32), tf.constant([35.0]), "hw")
    np.testing.assert_allclose(loss.numpy(), [((G - A) ** 2).mean()], rtol=1e-5)


def test_normalizations_differ_by_four_on_same_sized_images():
    f, s = features(batch=1, seed=1), features(batch=1, seed=2)
    m = tf.constant([35.0])
    per_position = losses.gram_matrix(s, "hw")[0]
    gatys = losses.style_layer_loss(losses.gram_matrix(f, "gatys"),
                                    losses.target_gram(per_position[None], m, "gatys"), m, "gatys")
    hw = losses.style_layer_loss(losses.gram_matrix(f, "hw"), losses.target_gram(per_position[None], m, "hw"), m, "hw")
    np.testing.assert_allclose(hw.numpy(), 4 * gatys.numpy(), rtol=1e-5)


def test_target_gram_rescales_to_output_positions():
    per_position = tf.ones((1, 3, 3))
    np.testing.assert_allclose(losses.target_gram(per_position, tf.constant([10.0]), "gatys").numpy(), 10.0)
    np.testing.assert_allclose(losses.target_gram(per_position, tf.constant([10.0]), "hw").numpy(), 1.0)


def test_content_layer_loss_is_mean_squared_error():
    f, p = features(seed=3), features(seed=4)
    np.testing.assert_allclose(losses.content_layer_loss(f, p).numpy(), ((f - p) ** 2).mean(axis=(1, 2, 3)),
                               rtol=1e-5)


def test_total_variation_per_pixel_is_the_sum_over_the_pixel_count():
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 255, (2, 6, 9, 3)).astype(np.float32)
    unit = images / 255.0
    expected = (np.abs(np.diff(unit, axis=1)).sum(axis=(1, 2, 3)) + np.abs(np.diff(unit, axis=2)).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(losses.total_variation(images, "pixels").numpy(), expected / 54, rtol=1e-5)
    # A flat image's texture at twice the size: the same per pixel (up to the borders), four times the sum.
    texture = np.tile(images[:1], (1, 4, 4, 1))
    larger = np.tile(images[:1], (1, 8, 8, 1))
    ratio = losses.total_variation(larger, "pixels").numpy() / losses.total_variation(texture, "pixels").numpy()
    assert abs(float(ratio[0]) - 1.0) < 0.05
    with pytest.raises(UsageError, match="tv_normalization"):
        losses.total_variation(images, "mean")


def test_total_variation_is_sum_of_absolute_differences_in_unit_range():
    image = np.random.default_rng(5).uniform(0, 255, (1, 6, 8, 3)).astype(np.float32)
    unit = image / 255.0
    expected = np.abs(np.diff(unit, axis=1)).sum() + np.abs(np.diff(unit, axis=2)).sum()
    np.testing.assert_allclose(losses.total_variation(image).numpy(), [expected], rtol=1e-5)
    np.testing.assert_allclose(losses.total_variation(image).numpy(),
                               tf.image.total_variation(tf.constant(image) / 255.0).numpy(), rtol=1e-6)


def test_gatys_loss_stays_finite_at_print_size():
    # 4096 px block1 features: F^T F reaches ~1e13; dividing before squaring keeps float32 finite.
    f = tf.fill([1, 1024, 1024, 2], 300.0)
    m = losses.positions(f)
    loss = losses.style_layer_loss(losses.gram_matrix(f, "gatys"), tf.zeros((2, 2)), m, "gatys")
    assert np.isfinite(loss.numpy()).all()
    np.testing.assert_allclose(loss.numpy(), [300.0**4 * 4 / 16], rtol=1e-4)


def test_unknown_normalization():
    with pytest.raises(UsageError, match="gatys, hw"):
        losses.gram_matrix(features(), "l2")


def test_gram_matrix_layer_serializes(tmp_path):
    inputs = keras.Input((None, None, 4))
    model = keras.Model(inputs, losses.GramMatrix(normalization="gatys")(inputs))
    path = str(tmp_path / "gram.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    f = features()
    np.testing.assert_allclose(restored(f).numpy(), losses.gram_matrix(f, "gatys").numpy(), rtol=1e-6)
    assert restored.layers[-1].normalization == "gatys"


def test_gram_gradient_matches_autodiff_of_the_plain_einsum():
    f = tf.constant(features(seed=6))
    weights = tf.constant(np.random.default_rng(7).normal(size=(2, 4, 4)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(f)
        ours = tf.reduce_sum(losses.gram_matrix(f, "gatys") * weights)
        plain = tf.reduce_sum(tf.einsum("bhwc,bhwd->bcd", f, f) * weights)
    np.testing.assert_allclose(tape.gradient(ours, f).numpy(), tape.gradient(plain, f).numpy(), rtol=1e-4, atol=1e-4)


def _lattice_reference(images, period, window):
    """numpy: per window, the variance over the period x period phases of each phase's mean."""
    side = period * window
    b, h, w, c = images.shape
    images = images[:, :h // side * side, :w // side * side]
    energies = []
    for image in images:
        values = []
        for top in range(0, image.shape[0], side):
            for left in range(0, image.shape[1], side):
                block = image[top:top + side, left:left + side]
                phases = np.array([[block[i::period, j::period].mean(axis=(0, 1)) for j in range(period)]
                                   for i in range(period)])  # [period, period, c]
                values.append(phases.reshape(-1, c).var(axis=0))
        energies.append(np.mean(values))
    return np.array(energies)


def test_lattice_energy_matches_numpy_and_sees_only_grid_locked_patterns():
    rng = np.random.default_rng(4)
    images = rng.uniform(0, 255, (2, 70, 45, 3)).astype(np.float32)  # beyond whole windows: ignored
    np.testing.assert_allclose(losses.lattice_energy(images, 4, window=2).numpy(),
                               _lattice_reference(images, 4, 2), rtol=1e-4)
    flat = np.full((1, 128, 128, 3), 100.0, np.float32)
    rows, columns = np.mgrid[0:128, 0:128]
    hatching = (10 * np.cos(2 * np.pi * (rows + columns) / 4))[None, :, :, None].astype(np.float32)
    # A hatching of amplitude 10 locked to a 4-pixel grid: its power, 50, wherever it starts.
    np.testing.assert_allclose(losses.lattice_energy(flat + hatching, 4).numpy(), [50.0], rtol=1e-4)
    np.testing.assert_allclose(losses.lattice_energy(flat + np.roll(hatching, 1, axis=1), 4).numpy(), [50.0],
                               rtol=1e-4)
    # A stripe of period 5 is not locked to the grid; noise averages away over the 16x16 cells.
    stripes = (10 * np.cos(2 * np.pi * columns / 5))[None, :, :, None].astype(np.float32)
    assert losses.lattice_energy(flat + stripes, 4).numpy()[0] < 0.5
    noise = rng.normal(0, 25, (1, 128, 128, 3)).astype(np.float32)
    assert losses.lattice_energy(flat + noise, 4).numpy()[0] < 625 / 256 * 1.5
    # A training crop smaller than a window takes the largest window that fits; under one cell, nothing.
    np.testing.assert_allclose(losses.lattice_energy(images[:, :32, :32], 4).numpy(),
                               _lattice_reference(images[:, :32, :32], 4, 8), rtol=1e-4)
    np.testing.assert_array_equal(losses.lattice_energy(images[:, :3, :3], 4).numpy(), [0.0, 0.0])
