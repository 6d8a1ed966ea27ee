import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image, styled_network

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


@pytest.fixture(scope="module")
def painter():
    return styled_network(seed=3)


def test_a_network_of_several_styles_paints_the_one_asked_for(painter):
    photos = np.stack([synthetic_image(40, 36, seed) for seed in range(3)])
    each = [painter(photos[i:i + 1], style_weights=np.eye(3, dtype=np.float32)[i:i + 1]).numpy()[0] for i in range(3)]
    together = painter(photos, style_weights=np.eye(3, dtype=np.float32)).numpy()
    np.testing.assert_allclose(together, np.stack(each), atol=1e-3)  # per-image styles in one batch
    assert np.abs(each[0] - painter(photos[:1], style_weights=[[0, 1, 0]]).numpy()[0]).mean() > 1.0


def test_a_blend_is_a_painting_of_its_own_not_a_crossfade(painter):
    photo = synthetic_image(40, 36)[None]
    wave, udnie = (painter(photo, style_weights=[row]).numpy() for row in ([1, 0, 0], [0, 1, 0]))
    blended = painter(photo, style_weights=[[0.5, 0.5, 0]]).numpy()
    crossfade = (wave + udnie) / 2
    assert np.abs(blended - crossfade).mean() > 0.5


def test_strength_fades_to_the_photo(painter):
    photo = synthetic_image(40, 36)
    weights = [[0, 0, 1]]
    full = painter(photo[None], style_weights=weights).numpy()[0]
    assert np.array_equal(painter(photo[None], style_weights=weights, strength=[0.0]).numpy()[0], photo)
    np.testing.assert_allclose(painter(photo[None], style_weights=weights, strength=[1.0]).numpy()[0], full, atol=1e-4)
    np.testing.assert_allclose(painter(photo[None], style_weights=weights, strength=[0.25]).numpy()[0],
                               photo + 0.25 * (full - photo), atol=1e-3)


def test_style_weights_are_checked_and_default_to_an_even_blend(painter):
    photo = synthetic_image(32, 32)[None]
    np.testing.assert_allclose(painter(photo).numpy(), painter(photo, style_weights=[[1 / 3] * 3]).numpy(), atol=1e-4)
    with pytest.raises(ValueError, match="2 columns"):
        painter(photo, style_weights=[[1.0, 0.0]])
    with pytest.raises(ValueError, match="no named styles"):
        StyleNetwork(width=4, residual_blocks=1)(photo, style_weights=[[1.0]])
    with pytest.raises(ValueError, match="different names"):
        StyleNetwork(styles=("wave", "wave"))
    one = StyleNetwork(width=4, residual_blocks=1, styles=("wave",))
    np.testing.assert_allclose(one(photo).numpy(), one(photo, style_weights=[[1.0]]).numpy(), atol=1e-5)


def test_styles_round_trip_and_old_networks_load_plain(tmp_path, painter):
    photo = synthetic_image(33, 41)[None]
    before = painter(photo, style_weights=[[0.2, 0.3, 0.5]]).numpy()
    painter.save(tmp_path / "three.keras")
    restored = keras.saving.load_model(tmp_path / "three.keras")
    assert restored.styles == ("wave", "udnie", "the_scream")
    np.testing.assert_allclose(restored(photo, style_weights=[[0.2, 0.3, 0.5]]).numpy(), before, atol=1e-3)
    config = StyleNetwork(width=4, residual_blocks=1).get_config()
    del config["styles"]  # as saved before styles had names (the shipped starry_night)
    old = StyleNetwork.from_config(config)
    assert old.styles == () and type(old.stages[0].norm).__name__ == "GroupNormalization"


@pytest.mark.parametrize("downsamplings", [0, 1, 3])
def test_other_numbers_of_downsamplings_keep_any_size_and_round_trip(tmp_path, downsamplings):
    network = StyleNetwork(width=4, residual_blocks=1, downsamplings=downsamplings)
    image = synthetic_image(37, 45)[None]
    before = network(image).numpy()
    assert before.shape == (1, 37, 45, 3)
    network.save(tmp_path / "n.keras")
    restored = keras.saving.load_model(tmp_path / "n.keras")
    assert restored.downsamplings == downsamplings
    np.testing.assert_allclose(restored(image).numpy(), before, atol=1e-3)


def test_downsamplings_set_the_stages_and_their_channels():
    def stages(network):
        return [(stage.name, stage.filters, getattr(stage, "strides", 1), getattr(stage, "upsample", 1))
                for stage in network.stages]
    assert stages(StyleNetwork(width=4, residual_blocks=1, downsamplings=0)) == [
        ("in", 4, 1, 1), ("residual1", 4, 1, 1)]  # full resolution throughout: no grid to lock onto
    assert stages(StyleNetwork(width=4, residual_blocks=1)) == [  # Johnson et al.'s, as networks were saved
        ("in", 4, 1, 1), ("down1", 8, 2, 1), ("down2", 16, 2, 1), ("residual1", 16, 1, 1), ("up1", 8, 1, 2),
        ("up2", 4, 1, 2)]


def _reach(network, size=128):
    """How many pixels across, on the centre row, move the centre output pixel by 1 % of the most any does.

    Instance normalization makes every output depend a little on every pixel
    (0.1 % here), so the threshold keeps the convolutions' reach."""
    image = tf.Variable(np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        centre = tf.reduce_sum(network(image)[0, size // 2, size // 2])
    row = np.abs(tape.gradient(centre, image).numpy()[0, size // 2]).sum(-1)
    moved = np.nonzero(row > 1e-2 * row.max())[0]
    return moved.max() - moved.min() + 1


def test_dilations_widen_what_a_pixel_sees_without_a_stride(tmp_path):
    keras.utils.set_random_seed(0)
    plain = StyleNetwork(width=4, residual_blocks=3, downsamplings=0)
    dilated = StyleNetwork(width=4, residual_blocks=3, downsamplings=0, dilations=(2, 4, 8))
    assert (plain.receptive_field, dilated.receptive_field) == (29, 51)
    assert [stage.first.dilation for stage in dilated.stages[1:]] == [2, 4, 8]
    assert [stage.second.dilation for stage in dilated.stages[1:]] == [1, 1, 1]  # dense: no gridding
    plain_reach, dilated_reach = _reach(plain), _reach(dilated)
    assert plain_reach <= 29 and dilated_reach <= 51 and dilated_reach > 1.5 * plain_reach
    image = synthetic_image(16, 21)[None]  # the smallest side still pads for a dilation of 8
    before = dilated(image).numpy()
    dilated.save(tmp_path / "d.keras")
    restored = keras.saving.load_model(tmp_path / "d.keras")
    assert restored.dilations == (2, 4, 8)
    np.testing.assert_allclose(restored(image).numpy(), before, atol=1e-3)


def test_dilations_cycle_over_the_blocks_and_must_pad_at_their_resolution():
    network = StyleNetwork(width=4, residual_blocks=5, downsamplings=0, dilations=(2, 4))
    assert [network.block_dilation(i) for i in range(5)] == [2, 4, 2, 4, 2]
    assert StyleNetwork(width=4, residual_blocks=1).receptive_field == 2 * (4 + 1 + 2 + 4 * 2 + 2 + 1 + 4) + 1
    with pytest.raises(ValueError, match="from 1 to 3 with 2 downsamplings"):
        StyleNetwork(width=4, residual_blocks=1, dilations=(4,))  # 16 px images: 4 px at the blocks


def test_widths_set_each_stage_and_round_trip(tmp_path):
    network = StyleNetwork(residual_blocks=2, widths=(6, 10, 12), decoder_widths=(5, 3), styles=("a", "b"))
    photo = synthetic_image(37, 29)[None]
    expected = network(photo).numpy()
    assert [stage.filters for stage in network.stages] == [6, 10, 12, 12, 12, 5, 3]
    assert (network.width, network.lattice_period) == (6, 4)
    path = str(tmp_path / "thin.keras")
    network.save(path)
    restored = keras.saving.load_model(path)
    assert (restored.widths, restored.decoder_widths) == ((6, 10, 12), (5, 3))
    np.testing.assert_allclose(restored(photo).numpy(), expected, atol=1e-4)
    assert StyleNetwork(width=4, residual_blocks=1).decoder_widths == (8, 4)  # the paper's mirror, by default
    assert StyleNetwork(width=4, residual_blocks=1, downsamplings=0).lattice_period == 1
    with pytest.raises(ValueError, match="widths needs 3 and decoder_widths 2"):
        StyleNetwork(widths=(8, 16))


def test_shrink_paints_the_block_means_and_enlarges_bilinearly(tmp_path):
    keras.utils.set_random_seed(0)
    full = StyleNetwork(width=4, residual_blocks=2, downsamplings=0, styles=("a", "b"))
    photo = synthetic_image(45, 37)[None]
    full(photo)
    shrunk = StyleNetwork.from_config({**full.get_config(), "shrink": 2})
    shrunk(photo)
    shrunk.set_weights(full.get_weights())  # no weights of its own: a trained network carries over whole
    painted = shrunk(photo).numpy()
    assert painted.shape == photo.shape
    # By hand: reflect-pad to even sides, average each 2x2 block, paint that at full size, enlarge, crop.
    padded = np.pad(photo, [(0, 0), (0, 1), (0, 1), (0, 0)], mode="reflect")
    means = padded.reshape(1, 23, 2, 19, 2, 3).mean(axis=(2, 4))
    small = full(means).numpy()
    expected = tf.image.resize(small, (46, 38), method="bilinear").numpy()[:, :45, :37]
    np.testing.assert_allclose(painted, expected, atol=0.05)
    assert (shrunk.lattice_period, shrunk.receptive_field) == (2, 2 * full.receptive_field)
    assert shrunk(synthetic_image(16, 16)[None]).shape == (1, 16, 16, 3)  # the smallest image still pads
    shrunk.save(tmp_path / "shrunk.keras")
    restored = keras.saving.load_model(tmp_path / "shrunk.keras")
    assert restored.shrink == 2
    np.testing.assert_allclose(restored(photo).numpy(), painted, atol=1e-4)
    config = full.get_config()
    del config["shrink"]  # as saved before the option existed
    assert StyleNetwork.from_config(config).shrink == 1
    with pytest.raises(ValueError, match="shrink must be one of 1, 2"):
        StyleNetwork(width=4, residual_blocks=1, shrink=3)
    with pytest.raises(ValueError, match="shrink must be one of 1, 2"):
        StyleNetwork(width=4, residual_blocks=1, downsamplings=3, shrink=2)  # 16 px would be 1 px at the blocks
