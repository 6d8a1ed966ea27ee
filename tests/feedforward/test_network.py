import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image

from kstyle.feedforward.network import MIN_SIDE, ReflectionPadding2D, StyleNetwork


@pytest.fixture(scope="module")
def network():
    keras.utils.set_random_seed(0)
    return StyleNetwork(width=4, residual_blocks=1)


@pytest.mark.parametrize("height, width", [(16, 16), (17, 23), (64, 48), (33, 101)])
def test_output_has_exactly_the_input_size(network, height, width):
    out = network(np.stack([synthetic_image(height, width, seed) for seed in (0, 1)]))
    assert out.shape == (2, height, width, 3)
    assert 0.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 255.0


def test_uint8_input_works(network):
    photo = synthetic_image(20, 20).astype(np.uint8)[None]
    np.testing.assert_allclose(network(photo).numpy(), network(photo.astype(np.float32)).numpy(), atol=1e-4)


def test_too_small_input_is_a_clear_error(network):
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"at least {MIN_SIDE}x{MIN_SIDE}"):
        network(np.zeros((1, 8, 40, 3), np.float32))


def test_size_options_change_the_network():
    small, paper = StyleNetwork(width=8, residual_blocks=2), StyleNetwork()
    for model in (small, paper):
        model(np.zeros((1, 32, 32, 3), np.float32))
    assert small.count_params() < 0.1 * paper.count_params()
    assert 1.5e6 < paper.count_params() < 1.8e6  # Johnson et al.'s network: about 1.7 million


def test_keras_round_trip(tmp_path, network):
    photo = synthetic_image(21, 30)[None]
    expected = network(photo).numpy()
    path = str(tmp_path / "network.keras")
    network.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, StyleNetwork)
    assert (restored.width, restored.residual_blocks) == (4, 1)
    np.testing.assert_allclose(restored(photo).numpy(), expected, atol=1e-4)


def test_upsampling_is_nearest_neighbour_not_transposed(network):
    kinds = {type(layer).__name__ for layer in network._flatten_layers()}
    assert "Conv2DTranspose" not in kinds and "GroupNormalization" in kinds
    assert [stage.upsample for stage in network.stages if stage.name.startswith("up")] == [2, 2]
    from kstyle.feedforward.network import upsample_nearest
    image = np.random.default_rng(0).uniform(0, 1, (2, 3, 5, 4)).astype(np.float32)
    expected = np.repeat(np.repeat(image, 2, axis=1), 2, axis=2)
    np.testing.assert_array_equal(upsample_nearest(tf.constant(image), 2).numpy(), expected)


def test_reflection_padding():
    padded = ReflectionPadding2D(1)(np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1))
    np.testing.assert_array_equal(padded.numpy()[0, :, :, 0][0], [4, 3, 4, 5, 4])
    assert ReflectionPadding2D.from_config(ReflectionPadding2D(2).get_config()).padding == 2


def test_blur_is_the_binomial_filter_with_reflected_borders():
    from kstyle.feedforward.network import Blur2D
    image = np.random.default_rng(0).uniform(0, 1, (1, 7, 9, 2)).astype(np.float32)
    padded = np.pad(image, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    taps = np.outer([1, 2, 1], [1, 2, 1]) / 16.0
    expected = sum(taps[i, j] * padded[:, i:i + 7, j:j + 9] for i in range(3) for j in range(3))
    np.testing.assert_allclose(Blur2D()(image).numpy(), expected, rtol=1e-5)


def test_antialias_round_trips_and_old_networks_load_without_it(tmp_path):
    import keras
    network = StyleNetwork(width=4, residual_blocks=1, antialias=True)
    image = synthetic_image(33, 41)[None]
    before = network(image).numpy()
    assert before.shape == (1, 33, 41, 3)
    network.save(tmp_path / "smooth.keras")
    restored = keras.saving.load_model(tmp_path / "smooth.keras")
    assert restored.antialias and [type(s.blur).__name__ for s in restored.stages if hasattr(s, "blur")].count(
        "Blur2D") == 4  # after both upsamplings, before both strided convolutions
    np.testing.assert_allclose(restored(image).numpy(), before, atol=1e-3)
    config = StyleNetwork(width=4, residual_blocks=1).get_config()
    del config["antialias"]  # as saved before the option existed (the shipped starry_night)
    assert StyleNetwork.from_config(config).antialias is False
