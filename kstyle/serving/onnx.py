"""A trained style network as an ONNX model, for onnxruntime and the runtimes that read ONNX.

The same contract as the LiteRT file (`kstyle.serving.litert`): uint8
`[batch, height, width, 3]` in, stylized uint8 of the same shape out, any size.
Converted by tf2onnx (the `onnx` extra: `pip install 'kstyle[onnx]'`), at an
opset onnxruntime has run for years.
"""

import tensorflow as tf

from kstyle import files
from kstyle.errors import Error, first_line
from kstyle.serving import savedmodel

OPSET = 17


def convert(network):
    """Returns the serialized ONNX model of `network` (bytes).

    Raises:
        Error: tf2onnx is not installed, or refused the network.
    """
    try:
        import tf2onnx
    except ImportError:
        raise Error("ONNX export needs tf2onnx: pip install 'kstyle[onnx]'") from None

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="image")])
    def stylize(image):
        return {"stylized_image": savedmodel.stylize_uint8(network, image)}

    try:
        model, _ = tf2onnx.convert.from_function(stylize, input_signature=stylize.input_signature, opset=OPSET)
    except Exception as error:  # tf2onnx raises whatever its handlers raise
        raise Error(f"the network does not convert to ONNX ({first_line(error, 300)})") from None
    return model.SerializeToString()


def write(network, path):
    """Converts `network` and writes it to `path` atomically; returns the size in bytes."""
    model = convert(network)
    files.write_atomically(path, model)
    return len(model)
