import numpy as np
import pytest
import tensorflow as tf

from conftest import synthetic_image
from kstyle import optimize, tiling, vgg
from kstyle.layer_spec import parse_layer_weights
from kstyle.objective import Objective, StyleTarget, style_grams


def test_geometry_follows_the_deepest_layer():
    assert tiling.geometry(["block1_conv2"]) == (1, 2)
    assert tiling.geometry(["block1_conv1", "block3_conv1"]) == (4, 16)  # radius 1+1+1+2+2+2+4 = 13
    align, halo = tiling.geometry(["block5_conv1"])
    assert (align, halo) == (16, 80)
    assert tiling.stride("block1_conv1") == 1 and tiling.stride("block2_conv1") == 2
    assert tiling.stride("block5_pool") == 32


def test_when_to_tile():
    assert tiling.tile_size_for(1536, 2048, None) is None            # fits in one pass
    assert tiling.tile_size_for(3072, 4096, None) == tiling.AUTO_TILE_SIZE
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
    tiled = tiling.TiledEvaluator(objective, content, tile_size=32)
    assert len(tiled.tiles) == 12
    x = tf.constant(image[None] / 255.0)
    expected_total, expected_terms, expected_gradient = whole(x)
    total, terms, gradient = tiled(x)
    np.testing.assert_allclose(total.numpy(), expected_total.numpy(), rtol=1e-4)
    for name in ("style", "content", "tv"):
        np.testing.assert_allclose(terms[name].numpy(), expected_terms[name].numpy(), rtol=1e-4)
    scale = np.abs(expected_gradient.numpy()).max()
    np.testing.assert_allclose(gradient.numpy(), expected_gradient.numpy(), rtol=1e-3, atol=1e-4 * scale)
