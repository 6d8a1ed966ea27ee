import keras
import numpy as np
import pytest

from kstyle.feedforward.normalization import ConditionalInstanceNormalization


def _reference(features, gamma, beta, weights, epsilon=1e-5):
    mean = features.mean(axis=(1, 2), keepdims=True)
    variance = features.var(axis=(1, 2), keepdims=True)
    normalized = (features - mean) / np.sqrt(variance + epsilon)
    return normalized * (weights @ gamma)[:, None, None, :] + (weights @ beta)[:, None, None, :]


@pytest.fixture
def layer():
    layer = ConditionalInstanceNormalization(3)
    layer.build((None, None, None, 4))
    rng = np.random.default_rng(0)
    layer.gamma.assign(rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32))
    layer.beta.assign(rng.normal(0, 1, (3, 4)).astype(np.float32))
    return layer


def test_starts_as_plain_instance_normalization():
    layer = ConditionalInstanceNormalization(2)
    features = np.random.default_rng(1).normal(3, 2, (2, 5, 6, 4)).astype(np.float32)
    plain = keras.layers.GroupNormalization(groups=-1, epsilon=1e-5)(features)
    np.testing.assert_allclose(layer(features, np.eye(2, dtype=np.float32)).numpy(), plain.numpy(), atol=1e-4)


def test_one_hot_picks_a_style_and_rows_blend_its_parameters(layer):
    features = np.random.default_rng(2).normal(1, 3, (3, 5, 7, 4)).astype(np.float32)
    weights = np.array([[1, 0, 0], [0, 0, 1], [0.25, 0.75, 0]], np.float32)
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()
    np.testing.assert_allclose(layer(features, weights).numpy(), _reference(features, gamma, beta, weights),
                               rtol=1e-4, atol=1e-4)
    # normalization * (w . gamma) + w . beta is linear in w, so blending here is a weighted mean; the
    # layers after it are not linear, which is why a network blends styles rather than pictures.
    halves = layer(features, np.array([[0.5, 0.5, 0]] * 3, np.float32)).numpy()
    mixed_outputs = 0.5 * layer(features, np.array([[1, 0, 0]] * 3, np.float32)).numpy() + 0.5 * layer(
        features, np.array([[0, 1, 0]] * 3, np.float32)).numpy()
    np.testing.assert_allclose(halves, mixed_outputs, rtol=1e-4, atol=1e-4)  # linear in the weights
    assert not np.allclose(halves, layer(features, np.array([[1, 0, 0]] * 3, np.float32)).numpy())


def test_round_trips_through_config(layer):
    restored = ConditionalInstanceNormalization.from_config(layer.get_config())
    assert (restored.styles, restored.epsilon) == (3, 1e-5)
