import h5py
import keras
import numpy as np
import pytest

from kstyle.errors import Error, UsageError
from kstyle.perceptual import vgg, weights


def test_extractor_returns_exactly_the_requested_layers(random_backbone):
    layers = ["block1_conv1", "block3_conv1", "block4_conv2"]
    extractor = vgg.feature_extractor(random_backbone.model, layers)
    outputs = extractor(np.zeros((2, 64, 48, 3), np.float32))
    assert list(outputs) == layers
    assert outputs["block1_conv1"].shape == (2, 64, 48, 64)
    assert outputs["block3_conv1"].shape == (2, 16, 12, 256)
    assert outputs["block4_conv2"].shape == (2, 8, 6, 512)


def test_extractor_stops_at_the_deepest_layer(random_backbone):
    extractor = vgg.feature_extractor(random_backbone.model, ["block2_conv1"])
    names = [layer.name for layer in extractor.layers]
    assert "block2_conv1" in names and "block2_conv2" not in names and "block5_conv1" not in names


def test_extractor_matches_keras_vgg16_with_preprocess_input(random_backbone):
    image = np.random.default_rng(0).uniform(0, 255, (1, 32, 40, 3)).astype(np.float32)
    ours = vgg.feature_extractor(random_backbone.model, ["block3_conv3"])(image)["block3_conv3"]
    reference_model = keras.Model(random_backbone.model.input, random_backbone.model.get_layer("block3_conv3").output)
    reference = reference_model(keras.applications.vgg16.preprocess_input(image.copy()))
    np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=1e-4, atol=1e-3)


def test_average_pooling_changes_deeper_features_only(random_backbone):
    image = np.random.default_rng(1).uniform(0, 255, (1, 32, 32, 3)).astype(np.float32)
    layers = ["block1_conv2", "block2_conv1"]
    max_pool = vgg.feature_extractor(random_backbone.model, layers, "max")(image)
    avg_pool = vgg.feature_extractor(random_backbone.model, layers, "avg")(image)
    np.testing.assert_allclose(max_pool["block1_conv2"], avg_pool["block1_conv2"])
    assert not np.allclose(max_pool["block2_conv1"], avg_pool["block2_conv1"])


def test_bad_extractor_arguments(random_backbone):
    with pytest.raises(UsageError, match="block9"):
        vgg.feature_extractor(random_backbone.model, ["block9_conv1"])
    with pytest.raises(UsageError, match="pooling"):
        vgg.feature_extractor(random_backbone.model, ["block1_conv1"], "min")


def test_hed_weights_are_the_bundled_backbone(hed_backbone):
    with h5py.File(weights.hed_weights_path()) as file:
        kernel = np.asarray(file["block5/layers/conv2d_2/vars/0"])  # block5_conv3
    np.testing.assert_array_equal(hed_backbone.model.get_layer("block5_conv3").get_weights()[0], kernel)
    assert hed_backbone.source == "hed"


def test_weights_file_in_keras3_and_legacy_layouts(tmp_path, random_backbone):
    keras3 = str(tmp_path / "vgg.weights.h5")
    random_backbone.model.save_weights(keras3)
    legacy = str(tmp_path / "legacy.h5")
    with h5py.File(legacy, "w") as file:  # the layout of Keras' own notop download
        convs = [layer for layer in random_backbone.model.layers if layer.weights]
        file.attrs["layer_names"] = [layer.name.encode() for layer in convs]
        for layer in convs:
            group = file.create_group(layer.name)
            names = [f"{layer.name}/kernel:0".encode(), f"{layer.name}/bias:0".encode()]
            group.attrs["weight_names"] = names
            for name, value in zip(names, layer.get_weights()):
                group.create_dataset(name.decode(), data=value)
    expected = random_backbone.model.get_layer("block4_conv1").get_weights()[1]
    for path in (keras3, legacy):
        loaded = vgg.load_vgg16(path)
        assert loaded.source == path
        np.testing.assert_array_equal(loaded.model.get_layer("block4_conv1").get_weights()[1], expected)


def test_bad_weights(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(Error, match="not a readable HDF5"):
        vgg.load_vgg16(str(text))
    empty = tmp_path / "empty.h5"
    h5py.File(empty, "w").close()
    with pytest.raises(Error, match="no VGG16 layers"):
        vgg.load_vgg16(str(empty))
    with pytest.raises(UsageError, match="neither"):
        vgg.load_vgg16("imagenett")


def test_auto_falls_back_to_hed_offline_and_says_so_once(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # nothing cached
    monkeypatch.setattr(weights, "_imagenet_reachable", lambda: False)
    backbone = vgg.load_vgg16("auto")
    assert backbone.source == "hed"
    assert "ImageNet VGG16 weights unavailable" in backbone.note and "\n" not in backbone.note
    notices = [record for record in caplog.records if record.name.startswith("kstyle")]
    assert [(record.levelname, record.getMessage()) for record in notices] == [("WARNING", backbone.note)]


def test_chosen_weights_say_nothing(caplog):
    vgg.load_vgg16("none")
    assert not [record for record in caplog.records if record.name.startswith("kstyle")]


def test_imagenet_failure_is_a_clear_error(monkeypatch):
    def offline(weights):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")
    monkeypatch.setattr(vgg, "_vgg16", offline)
    with pytest.raises(Error, match="cannot get the ImageNet VGG16 weights.*--vgg_weights=hed"):
        vgg.load_vgg16("imagenet")


def test_preprocess_layer_matches_keras():
    image = np.random.default_rng(2).uniform(0, 255, (2, 3, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(vgg.VGGPreprocess()(image).numpy(),
                               keras.applications.vgg16.preprocess_input(image.copy()), rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("precision, tolerance", [("mixed_bfloat16", 0.05), ("mixed_float16", 0.01)])
def test_mixed_precision_features_are_close_to_float32(hed_backbone, precision, tolerance):
    image = np.random.default_rng(3).uniform(0, 255, (1, 48, 48, 3)).astype(np.float32)
    layers = ["block1_conv1", "block3_conv1"]
    exact = vgg.feature_extractor(hed_backbone.model, layers)(image)
    mixed_extractor = vgg.feature_extractor(hed_backbone.model, layers, precision=precision)
    mixed = mixed_extractor(image)
    assert mixed["block3_conv1"].dtype == precision.removeprefix("mixed_")
    assert all(layer.compute_dtype == precision.removeprefix("mixed_")
               for layer in mixed_extractor.layers[2:])  # no float32 round trips between layers
    for name in layers:
        error = np.abs(np.asarray(mixed[name], np.float32) - exact[name].numpy()).mean()
        assert error < tolerance * np.abs(exact[name].numpy()).mean()


def test_unknown_precision(random_backbone):
    with pytest.raises(UsageError, match="precision"):
        vgg.feature_extractor(random_backbone.model, ["block1_conv1"], precision="float8")
