"""`kstyle export --format=onnx`: an ONNX file onnxruntime runs like the SavedModel serves."""

import numpy as np
import onnxruntime
import tensorflow as tf
from conftest import synthetic_image

from kstyle.cli import main as cli
from kstyle.feedforward import apply
from kstyle.serving import savedmodel


def test_onnx_gives_the_savedmodels_pixels_in_onnxruntime(tmp_path):
    """The ONNX file (tf2onnx) in onnxruntime: a batch of two, an odd size."""
    path = tmp_path / "starry_night.onnx"
    assert cli.main(["kstyle", "export", "--model=starry_night", "--format=onnx", f"--output={path}"]) == 0
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    batch = np.stack([synthetic_image(45, 37, seed) for seed in (1, 2)]).astype(np.uint8)
    (stylized,) = session.run(None, {session.get_inputs()[0].name: batch})
    network, weights = apply.load_with_weights("starry_night")
    version = savedmodel.export(network, str(tmp_path / "models"), style_weights=weights)
    served = tf.saved_model.load(version).signatures["serving_default"](image=tf.constant(batch))
    assert stylized.dtype == np.uint8 and stylized.shape == batch.shape
    assert np.abs(stylized.astype(int) - served["stylized_image"].numpy().astype(int)).max() <= 2
