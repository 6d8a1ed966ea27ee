"""A trained style network packaged for servers and devices.

`savedmodel`: the SavedModel TF Serving loads, with the request budget of
`limits` enforced in the graph by `guards` and `warmup` records; `litert`: one
LiteRT (TensorFlow Lite) file; `onnx`: one ONNX file. It depends on the network
(`kstyle.feedforward.network`) only.
"""

# The formats `kstyle export --format` writes: a SavedModel version directory, or one file
# (LiteRT, ONNX) whose name ends in the suffix given here.
FORMATS = ("savedmodel", "tflite", "onnx")
FILE_SUFFIXES = {"tflite": ".tflite", "onnx": ".onnx"}
