"""tools/train_shipped_model.py: installing a second network of the same paintings under other names."""

import importlib.util
import os

import keras
import numpy as np
import tensorflow as tf
from conftest import synthetic_image

from kstyle.feedforward.network import StyleNetwork

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "train_shipped_model.py")
_spec = importlib.util.spec_from_file_location("train_shipped_model", TOOL)
train_shipped_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(train_shipped_model)


def test_install_renames_the_styles_and_keeps_the_pictures(tmp_path):
    keras.utils.set_random_seed(4)
    network = StyleNetwork(width=4, residual_blocks=1, downsamplings=0, shrink=2, styles=("wave", "udnie"))
    photo = synthetic_image(40, 36)[None]
    expected = network(photo, style_weights=tf.one_hot([1], 2)).numpy()
    network.save(tmp_path / "network.keras")
    target = str(tmp_path / "models" / "fast.keras")
    train_shipped_model.install(str(tmp_path / "network.keras"), target, "_fast")
    installed = keras.saving.load_model(target)
    assert installed.styles == ("wave_fast", "udnie_fast") and installed.shrink == 2
    np.testing.assert_allclose(installed(photo, style_weights=tf.one_hot([1], 2)).numpy(), expected, atol=1e-4)
    assert os.listdir(tmp_path / "models") == ["fast.keras"]  # no partial file left
    train_shipped_model.install(str(tmp_path / "network.keras"), str(tmp_path / "plain.keras"))
    assert keras.saving.load_model(tmp_path / "plain.keras").styles == ("wave", "udnie")
