"""`kstyle export --format=tflite`: a LiteRT file the stock interpreter runs like the SavedModel serves."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from conftest import synthetic_image

from kstyle.cli import main as cli
from kstyle.serving import savedmodel


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The shipped network as LiteRT (through the command) and as a SavedModel."""
    directory = tmp_path_factory.mktemp("litert")
    path = directory / "starry_night.tflite"
    done = subprocess.run([sys.executable, "-m", "kstyle", "export", "--model=starry_night", "--format=tflite",
                           f"--output={path}"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {path} (") and done.stderr == ""
    from kstyle.feedforward import apply
    network, weights = apply.load_with_weights("starry_night")
    version = savedmodel.export(network, str(directory / "models"), style_weights=weights)
    return str(path), tf.saved_model.load(version).signatures["serving_default"]


def run_litert(path, image):
    interpreter = Interpreter(model_path=path)
    (given,), (answer,) = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.resize_tensor_input(given["index"], image.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(given["index"], image)
    interpreter.invoke()
    return interpreter.get_tensor(answer["index"]), given, answer


@pytest.mark.parametrize("height, width", [(61, 47), (64, 96)])  # odd and even
def test_the_interpreter_gives_the_savedmodels_pixels(exported, height, width):
    path, serving_default = exported
    image = synthetic_image(height, width, seed=height).astype(np.uint8)[None]
    stylized, given, answer = run_litert(path, image)
    served = serving_default(image=tf.constant(image))["stylized_image"].numpy()
    assert given["dtype"] == np.uint8 and answer["dtype"] == np.uint8 and stylized.shape == image.shape
    assert np.abs(stylized.astype(int) - served.astype(int)).max() <= 2
    assert np.abs(stylized.astype(int) - image.astype(int)).mean() > 5  # it did stylize


def test_only_builtin_operators(exported):
    interpreter = Interpreter(model_path=exported[0])
    ops = {detail["op_name"] for detail in interpreter._get_ops_details()}
    assert "CONV_2D" in ops and not any(op.startswith(("FlexOp", "Flex", "CUSTOM", "VAR_HANDLE")) for op in ops), ops
    assert os.path.getsize(exported[0]) < 2_000_000


@pytest.mark.parametrize("flags, message", [
    (["--output={tmp}/x.onnx"], "file's name ends in .tflite"),
    (["--output={tmp}/x.tflite", "--max_batch=3"], "--max_batch is for --format=savedmodel"),
    ([], "--output is required for --format=tflite"),
    (["--output={tmp}/no/dir/x.tflite"], "does not exist"),
])
def test_bad_flags(tmp_path, capsys, flags, message):
    argv = ["kstyle", "export", "--model=starry_night", "--format=tflite", *(f.format(tmp=tmp_path) for f in flags)]
    assert cli.main(argv) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith("kstyle: ") and err.count("\n") == 1 and message in err, err
    assert os.listdir(tmp_path) == []

