import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image

from kstyle.perceptual import vgg
from kstyle.perceptual.layers import parse_layer_weights
from kstyle.perceptual.objective import Objective, StyleTarget, blend_grams, style_grams

STYLE = parse_layer_weights("block1_conv1,block2_conv1:2")
CONTENT = parse_layer_weights("block2_conv2")


@pytest.fixture(scope="module")
def extractor(random_backbone):
    return vgg.feature_extractor(random_backbone.model, ["block1_conv1", "block2_conv1", "block2_conv2"])


def numpy_objective(extractor, image, style, content, normalization, weights):
    """The objective written out from the formulas, for one image of the same size as the style."""
    f, s, c = (extractor(x[None]) for x in (image, style, content))
    style_loss = 0.0
    for layer, w in STYLE:
        F = f[layer].numpy()[0].reshape(-1, f[layer].shape[-1]).astype(np.float64)
        S = s[layer].numpy()[0].reshape(-1, s[layer].shape[-1]).astype(np.float64)
        M, N = F.shape
        if normalization == "gatys":
            style_loss += w * ((F.T @ F - S.T @ S) ** 2).sum() / (4 * N**2 * M**2)
        else:
            style_loss += w * ((F.T @ F / M - S.T @ S / M) ** 2).mean()
    content_loss = ((f["block2_conv2"].numpy() - c["block2_conv2"].numpy()) ** 2).mean()
    unit = image / 255.0
    tv = np.abs(np.diff(unit, axis=0)).sum() + np.abs(np.diff(unit, axis=1)).sum()
    return weights[0] * style_loss + weights[1] * content_loss + weights[2] * tv


@pytest.mark.parametrize("normalization", ["gatys", "hw"])
def test_objective_matches_the_formulas(extractor, normalization):
    image, style, content = (synthetic_image(32, 40, seed) for seed in (1, 2, 3))
    weights = (1e3, 2.0, 5.0)
    objective = Objective(extractor, [StyleTarget(style_grams(extractor, style, [n for n, _ in STYLE]))],
                          STYLE, CONTENT, style_weight=weights[0], content_weight=weights[1],
                          tv_weight=weights[2], normalization=normalization)
    total, terms = objective(image[None], objective.content_features(content[None]))
    np.testing.assert_allclose(total.numpy(), numpy_objective(extractor, image, style, content, normalization,
                                                              weights), rtol=2e-4)
    np.testing.assert_allclose(total.numpy(), sum(t.numpy() for t in terms.values()), rtol=1e-6)
    assert set(terms) == {"style", "content", "tv"}


def test_style_target_is_independent_of_style_image_size(extractor):
    # A tiled texture has the same per-position Gram at any repetition count, up to the
    # zero-padded border (3% of positions at 128 px).
    tile = synthetic_image(16, 16, seed=4)
    small, large = np.tile(tile, (8, 8, 1)), np.tile(tile, (16, 16, 1))
    a = style_grams(extractor, small, ["block1_conv1"])["block1_conv1"].numpy()
    b = style_grams(extractor, large, ["block1_conv1"])["block1_conv1"].numpy()
    np.testing.assert_allclose(a, b, rtol=0.05, atol=0.01 * np.abs(b).max())


def test_blend_grams_normalizes_weights():
    first = {"l": tf.fill((2, 2), 1.0)}
    second = {"l": tf.fill((2, 2), 4.0)}
    np.testing.assert_allclose(blend_grams([first, second], [3, 7])["l"].numpy(), 0.3 + 2.8)


def test_masked_target_only_sees_its_region(extractor):
    style = synthetic_image(32, 32, seed=5)
    image = synthetic_image(32, 32, seed=6)
    grams = style_grams(extractor, style, ["block1_conv1"])
    layers = parse_layer_weights("block1_conv1")
    mask = np.zeros((32, 32), np.float32)
    mask[:, :16] = 1.0
    objective = Objective(extractor, [StyleTarget(grams, mask)], layers, CONTENT,
                          style_weight=1.0, content_weight=0.0, tv_weight=0.0)
    features = objective.content_features(image[None])
    before, _ = objective(image[None], features)
    changed = image.copy()
    changed[:, 20:] = 0.0  # outside the mask (away from the border the 3x3 conv sees)
    after, _ = objective(changed[None], features)
    np.testing.assert_allclose(before.numpy(), after.numpy(), rtol=1e-5)
    changed[:, :8] = 0.0   # inside
    inside, _ = objective(changed[None], features)
    assert abs(inside.numpy() - before.numpy()) > 1e-3 * before.numpy()
