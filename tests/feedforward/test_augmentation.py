import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image, styled_network

import kstyle
from kstyle.feedforward.augmentation import StyleAugmentation


@pytest.fixture(scope="module")
def painter(tmp_path_factory):
    network = styled_network(seed=6)
    path = tmp_path_factory.mktemp("painter") / "three.keras"
    network.save(path)
    return str(path), network


@pytest.fixture
def photos():
    return np.stack([synthetic_image(40, 36, seed) for seed in range(4)]).astype(np.float32)


def test_inference_passes_images_through(painter, photos):
    augment = kstyle.StyleAugmentation(painter[0])
    assert np.array_equal(augment(photos).numpy(), photos)
    assert np.array_equal(augment(photos, training=False).numpy(), photos)


def test_training_repaints_each_image_with_its_own_draw(painter, photos):
    augment = StyleAugmentation(painter[0], strength=(1.0, 1.0), seed=1)
    painted = augment(photos, training=True).numpy()
    assert painted.shape == photos.shape and np.abs(painted - photos).mean() > 5
    # Every image painted with some blend of the three styles: between the styles' pictures, not one of them.
    each = [painter[1](photos, style_weights=np.tile(np.eye(3)[i], (4, 1)).astype(np.float32)).numpy()
            for i in range(3)]
    assert all(np.abs(painted - style).mean() > 0.5 for style in each)
    assert not np.allclose(augment(photos, training=True).numpy(), painted)  # fresh draws each call


def test_a_seed_repeats_its_draws_within_a_process(painter, photos):
    """README's promise: seed=1 makes the draws repeatable, so two layers seeded alike paint alike."""
    first, second = (StyleAugmentation(painter[0], probability=0.5, seed=1) for _ in range(2))
    painted = first(photos, training=True).numpy()
    np.testing.assert_array_equal(second(photos, training=True).numpy(), painted)
    assert not np.array_equal(first(photos, training=True).numpy(), painted)  # each call draws afresh
    other = StyleAugmentation(painter[0], probability=0.5, seed=2)(photos, training=True).numpy()
    assert not np.array_equal(other, painted)
    mapped = [np.stack(list(tf.data.Dataset.from_tensor_slices(photos).map(
        lambda image, augment=augment: augment(image, training=True)).as_numpy_iterator()))
        for augment in (StyleAugmentation(painter[0], seed=3) for _ in range(2))]
    np.testing.assert_array_equal(mapped[0], mapped[1])  # in tf.data too


def test_strength_range_probability_and_value_range(painter, photos):
    untouched = StyleAugmentation(painter[0], strength=(0.0, 0.0))(photos, training=True).numpy()
    np.testing.assert_allclose(untouched, photos, atol=1e-3)
    never = StyleAugmentation(painter[0], probability=0.0)(photos, training=True).numpy()
    np.testing.assert_allclose(never, photos, atol=1e-3)
    unit = StyleAugmentation(painter[0], strength=(1.0, 1.0), value_range=(0, 1), seed=2)
    scaled = unit(photos / 255.0, training=True).numpy()
    assert 0.0 <= scaled.min() and scaled.max() <= 1.0 and np.abs(scaled - photos / 255.0).mean() > 0.02
    for bad, message in (({"strength": (0.5, 1.5)}, r"strength must be \(low, high\) with 0 <= low <= high <= 1"),
                         ({"strength": (0.8, 0.2)}, r"got \(0.8, 0.2\)"),
                         ({"probability": 2.0}, "probability must be from 0 to 1, got 2.0"),
                         ({"value_range": (1, 0)}, r"value_range must be \(low, high\) with low < high")):
        with pytest.raises(ValueError, match=message):
            StyleAugmentation(painter[0], **bad)


def test_inside_dataset_map_and_on_single_images(painter, photos):
    augment = StyleAugmentation(painter[0], seed=3)
    dataset = tf.data.Dataset.from_tensor_slices(photos).map(lambda image: augment(image, training=True))
    out = np.stack([image.numpy() for image in dataset])
    assert out.shape == photos.shape and np.abs(out - photos).mean() > 1


def test_a_model_holding_it_saves_loads_and_fits(painter, photos, tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((40, 36, 3)), StyleAugmentation(painter[0], strength=(0.2, 0.9),
                                                                          seed=4),
                              keras.layers.Rescaling(1 / 255.0), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(photos, np.array([0, 1, 0, 1]), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    model.save(tmp_path / "classifier.keras")
    restored = keras.saving.load_model(tmp_path / "classifier.keras")
    layer = restored.layers[0]
    assert isinstance(layer, StyleAugmentation) and (layer.strength, layer.seed) == ((0.2, 0.9), 4)
    np.testing.assert_allclose(restored.predict(photos, verbose=0), model.predict(photos, verbose=0), atol=1e-5)
    assert layer.network.trainable is False and not restored.layers[0].trainable_weights


def test_by_default_the_shipped_network_with_the_most_styles(photos):
    from kstyle.feedforward import shipped
    augment = StyleAugmentation(seed=5)
    assert augment.source == shipped.default_network() and augment.source in shipped.names()
    painted = augment(photos, training=True).numpy()
    assert painted.shape == photos.shape and np.abs(painted - photos).mean() > 1
