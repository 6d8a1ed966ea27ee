"""A trained style network as a LiteRT (TensorFlow Lite) model, for phones and small devices.

One input and one output, like `serving_default` for one image: uint8
`[1, height, width, 3]` in, uint8 stylized pixels of the same shape out. Height
and width are dynamic: resize the interpreter's input tensor to the photo's size
(`interpreter.resize_tensor_input(0, [1, h, w, 3])`) before allocating. Only
LiteRT's built-in operators are used, so the stock runtime (`ai-edge-litert`
on PyPI, or the Android and iOS libraries) runs it with nothing added.
"""


import tensorflow as tf
from tensorflow.python.framework import convert_to_constants

from kstyle import files
from kstyle.errors import Error, first_line
from kstyle.serving import savedmodel


def convert(network):
    """Returns the `.tflite` flatbuffer of `network` (bytes).

    Raises:
        Error: the converter refused the network (the message says why).
    """

    @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.uint8, name="image")])
    def stylize(image):
        return {"stylized_image": savedmodel.stylize_uint8(network, image)}

    # Weights frozen into constants first: left as variables, the converter keeps them as resource
    # variables that the interpreter starts uninitialized (Keras 3 variables; the output is noise).
    frozen = convert_to_constants.convert_variables_to_constants_v2(stylize.get_concrete_function())
    module = tf.Module()
    module.stylize = frozen
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen], module)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        return converter.convert()
    except Exception as error:  # The converter raises ConverterError, RuntimeError or ValueError.
        raise Error(f"the network does not convert to LiteRT ({first_line(error, 300)})") from None


def write(network, path):
    """Converts `network` and writes it to `path` atomically; returns the size in bytes."""
    flatbuffer = convert(network)
    files.write_atomically(path, flatbuffer)
    return len(flatbuffer)
