import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image

from kstyle.gatys import memory, optimize, tiling
from kstyle.perceptual import vgg
from kstyle.perceptual.layers import parse_layer_weights
from kstyle.perceptual.objective import Objective, StyleTarget, style_grams


def test_when_to_tile():
    assert tiling.tile_size_for(1536, 2048, None) is None            # fits in one pass
    assert tiling.tile_size_for(3072, 4096, None) == memory.AUTO_TILE_SIZE
    assert tiling.tile_size_for(3072, 4096, 0) is None
    assert tiling.tile_size_for(300, 400, 256) == 256
    assert tiling.tile_size_for(300, 400, 512) is None


@pytest.fixture(scope="module")
def extractor(random_backbone):
    return vgg.feature_extractor(random_backbone.model, ["block1_conv1", "block2_conv1", "block3_conv1",
                                                         "block2_conv2"])


@pytest.mark.parametrize("normalization, masked", [("gatys", False), ("hw", False), ("gatys", True)])
def test_tiles_give_the_untiled_loss_and_gradient(extractor, normalization, masked):
    style_layers = parse_layer_weights("block1_conv1,block2_conv1:2,block3_conv1")
    content_layers = parse_layer_weights("block2_conv2")
    height, width = 90, 118  # not multiples of anything: partial edge tiles
    content = synthetic_image(height, width, seed=1)
    image = synthetic_image(height, width, seed=2)
    grams = style_grams(extractor, synthetic_image(64, 64, seed=3), ["block1_conv1", "block2_conv1", "block3_conv1"])
    targets = [StyleTarget(grams)]
    if masked:
        mask = np.zeros((height, width), np.float32)
        mask[:, : width // 3] = 1.0
        mask[:, width // 3: width // 2] = 0.5
        targets = [StyleTarget(grams, mask, 1.0), StyleTarget(grams, 1.0 - mask, 3.0)]
    objective = Objective(extractor, targets, style_layers, content_layers, style_weight=1e3,
                          content_weight=2.0, tv_weight=5.0, normalization=normalization)
    whole = optimize.loss_and_gradient(objective, objective.content_features(content[None]))
    tiled = tiling.TiledEvaluator(objective, content, tile_size=48)
    assert len(tiled.tiles) == 6  # 48 + 42 rows, 48 + 48 + 22 columns
    x = tf.constant(image[None] / 255.0)
    expected_total, expected_terms, expected_gradient = whole(x)
    total, terms, gradient = tiled(x)
    np.testing.assert_allclose(total.numpy(), expected_total.numpy(), rtol=1e-4)
    for name in ("style", "content", "tv"):
        np.testing.assert_allclose(terms[name].numpy(), expected_terms[name].numpy(), rtol=1e-4)
    scale = np.abs(expected_gradient.numpy()).max()
    np.testing.assert_allclose(gradient.numpy(), expected_gradient.numpy(), rtol=1e-3, atol=1e-4 * scale)


@pytest.mark.parametrize("precision, tolerance, height, width, tile, tiles", [
    ("float32", 1e-4, 96, 256, 96, 3),       # the outer windows (96 + 80 px) end inside the image: halos cut
    ("mixed_bfloat16", 2e-2, 32, 64, 32, 2),  # small: bfloat16 is emulated on CPUs without AMX
])
def test_tiles_reproduce_the_default_layers_down_to_block5(random_backbone, precision, tolerance, height, width,
                                                           tile, tiles):
    """The default objective reaches block5_conv1: tiles on a 16 px grid with 80 px halos."""
    from kstyle.perceptual.options import PerceptualOptions
    options = PerceptualOptions(precision=precision)
    extractor = vgg.feature_extractor(random_backbone.model, options.layer_names, precision=precision)
    content, image = synthetic_image(height, width, seed=4), synthetic_image(height, width, seed=5)
    grams = style_grams(extractor, synthetic_image(96, 96, seed=6), options.style_names)
    objective = Objective.from_options(extractor, [StyleTarget(grams)], options)
    whole = optimize.loss_and_gradient(objective, objective.content_features(content[None]))
    tiled = tiling.TiledEvaluator(objective, content, tile_size=tile)
    assert tiled.halo == 80 and len(tiled.tiles) == tiles
    x = tf.constant(image[None] / 255.0)
    expected_total, expected_terms, expected_gradient = whole(x)
    total, terms, gradient = tiled(x)
    for name in ("style", "content", "tv"):
        np.testing.assert_allclose(terms[name].numpy(), expected_terms[name].numpy(), rtol=tolerance)
    np.testing.assert_allclose(total.numpy(), expected_total.numpy(), rtol=tolerance)
    difference = np.abs(gradient.numpy() - expected_gradient.numpy()).max()
    assert difference <= 10 * tolerance * np.abs(expected_gradient.numpy()).max()


def test_stylize_switches_to_tiles_above_the_automatic_size(random_backbone, monkeypatch):
    """Above AUTO_TILE_PIXELS `stylize` tiles by itself, and the picture is the untiled one."""
    from kstyle.gatys.stylize import stylize
    built = []

    class Recording(tiling.TiledEvaluator):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(len(self.tiles))

    options = dict(max_size=96, iterations=3, vgg_weights="none", precision="float32",
                   style_layers="block1_conv1,block2_conv1", content_layers="block2_conv2")
    content, style = synthetic_image(72, 96, seed=1), synthetic_image(64, 64, seed=2)
    untiled = stylize(content, style, backbone=random_backbone, **options).astype(float)
    assert built == []
    monkeypatch.setattr(tiling, "TiledEvaluator", Recording)
    monkeypatch.setattr(memory, "AUTO_TILE_PIXELS", 64 * 64)
    monkeypatch.setattr(memory, "AUTO_TILE_SIZE", 48)
    tiled = stylize(content, style, backbone=random_backbone, **options).astype(float)
    assert built == [4]  # 72x96 in tiles of 48
    assert np.abs(tiled - untiled).mean() < 0.5


def test_the_style_images_grams_add_up_over_tiles(random_backbone):
    """Down to block5: the style image never has to fit in one pass."""
    from kstyle.perceptual.options import PerceptualOptions
    options = PerceptualOptions(precision="float32")
    extractor = vgg.feature_extractor(random_backbone.model, options.style_names, precision="float32")
    style = synthetic_image(112, 176, seed=8)
    whole = style_grams(extractor, style, options.style_names)
    tiled = tiling.style_grams(extractor, style, options.style_names, tile_size=48)
    for layer in options.style_names:
        np.testing.assert_allclose(tiled[layer].numpy(), whole[layer].numpy(), rtol=1e-4,
                                   atol=1e-5 * float(np.abs(whole[layer].numpy()).max()))


def test_stylize_takes_a_large_style_image_in_tiles(random_backbone, monkeypatch):
    from kstyle.gatys import stylize as module
    calls = []
    original = tiling.style_grams
    monkeypatch.setattr(tiling, "style_grams", lambda *args: calls.append(args[3]) or original(*args))
    monkeypatch.setattr(memory, "AUTO_TILE_PIXELS", 100 * 100)
    monkeypatch.setattr(memory, "AUTO_TILE_SIZE", 64)
    options = dict(max_size=64, iterations=1, vgg_weights="none", precision="float32", style_scale=2.0,
                   style_layers="block1_conv1,block2_conv1", content_layers="block2_conv2")
    module.stylize(synthetic_image(48, 64, seed=1), synthetic_image(160, 160, seed=2), backbone=random_backbone,
                   **options)
    assert calls == [64]  # the style image at 2x the output (128 px) is over the tile threshold
