"""Running the files `kstyle export` writes, LiteRT and ONNX, in their own runtimes.

So `kstyle transform --model=x.tflite` (or `.onnx`) paints with the file a
device or a server would run. Each runtime is an optional extra; without it,
`check_installed` says in one line which extra to install, before anything
loads. TensorFlow is not imported.
"""

import importlib.util
from typing import NamedTuple

import numpy as np

from kstyle.errors import Error, first_line


class Runtime(NamedTuple):
    """What runs a file form: the module to import, its package, and kstyle's extra that installs it."""
    module: str
    package: str
    extra: str


RUNTIMES = {
    "tflite": Runtime("ai_edge_litert", "ai-edge-litert", "litert"),
    "onnx": Runtime("onnxruntime", "onnxruntime", "onnx"),
}


def check_installed(form, path):
    """Refuses a `form` file ('tflite' or 'onnx') whose runtime is not installed, naming the extra.

    Raises:
        Error: the runtime is missing.
    """
    runtime = RUNTIMES[form]
    if importlib.util.find_spec(runtime.module) is None:
        raise Error(f"{path}: running a .{form} file needs {runtime.package}: pip install 'kstyle[{runtime.extra}]' "
                    f"(in a checkout: .venv/bin/pip install -e '.[{runtime.extra}]')")


def load(form, path):
    """Returns a function `float 0-255 [1, h, w, 3] -> float 0-255 [1, h, w, 3]` running the file.

    Raises:
        Error: the runtime is missing, or the file is not one it can run.
    """
    check_installed(form, path)
    try:
        return (_litert if form == "tflite" else _onnx)(path)
    except Exception as error:  # each runtime raises its own kinds for a file that is not a model
        raise Error(f"{path}: not a .{form} model kstyle can run ({first_line(error)})") from None


def _litert(path):
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=path)
    (given,), (answer,) = interpreter.get_input_details(), interpreter.get_output_details()

    def run(batch):
        image = _uint8(batch)
        interpreter.resize_tensor_input(given["index"], image.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(given["index"], image)
        interpreter.invoke()
        return interpreter.get_tensor(answer["index"]).astype(np.float32)
    return run


def _onnx(path):
    import onnxruntime
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(batch):
        (stylized,) = session.run(None, {name: _uint8(batch)})
        return stylized.astype(np.float32)
    return run


def _uint8(batch):
    return np.clip(np.round(np.asarray(batch, np.float32)), 0, 255).astype(np.uint8)
