"""A trained style network as a SavedModel that TensorFlow Serving loads and serves.

Two signatures, whose names clients depend on:

* `serving_default`: `image`, uint8 `[batch, height, width, 3]` -> `stylized_image`,
  uint8, the same shape.
* `serve_bytes`: `image_bytes`, string `[batch]` of JPEG or PNG files (what a REST
  client sends as `{"b64": ...}`) -> `stylized_image_bytes`, string `[batch]` of
  PNG files. Images in one batch may have different sizes.

Limits are checked inside the graph, so a hostile request gets an
InvalidArgument error naming the limit and the server lives on: images over
`max_pixels` (read from the file header before anything is decoded) or under
16 pixels a side, and bytes that are not a JPEG or PNG. The graph holds only
stock TensorFlow ops (no py_function, no XLA), and is written with Keras'
`ExportArchive`, whose plain variables TF Serving's session loader restores.
A version is built in a temporary directory beside its final place and renamed
when complete, with `assets.extra/tf_serving_warmup_requests` holding one small
request per signature.
"""

import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from kstyle.errors import Error, UsageError
from kstyle.feedforward.network import MIN_SIDE
from kstyle.serving.limits import DEFAULT_MAX_PIXELS

SIGNATURES = ("serving_default", "serve_bytes")
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


def export(network, export_dir, version=None, max_pixels=DEFAULT_MAX_PIXELS):
    """Writes `network` as `export_dir/<version>/`; returns that directory.

    Args:
        network: a `StyleNetwork` (or any Keras model mapping 0-255 images to 0-255 images).
        export_dir: the model's base directory (TF Serving's `base_path`).
        version: a positive integer; the next free one if omitted.
        max_pixels: the largest image (height x width) the served model accepts.

    Raises:
        UsageError: the version exists already, or a bad limit.
    """
    if max_pixels < MIN_SIDE * MIN_SIDE:
        raise UsageError(f"max_pixels must be at least {MIN_SIDE * MIN_SIDE}, got {max_pixels}")
    os.makedirs(export_dir, exist_ok=True)
    version = next_version(export_dir) if version is None else int(version)
    if version < 1:
        raise UsageError(f"version must be a positive integer, got {version}")
    final = os.path.join(export_dir, str(version))
    if os.path.exists(final):
        raise UsageError(f"{final} exists already; TF Serving versions are immutable, use another --version")
    staging = tempfile.mkdtemp(prefix=f".{version}.", suffix=".partial", dir=export_dir)
    try:
        archive = keras.export.ExportArchive()
        archive.track(network)
        uint8_fn, bytes_fn = serving_functions(network, max_pixels)
        archive.add_endpoint("serving_default", uint8_fn,
                             input_signature=[tf.TensorSpec([None, None, None, 3], tf.uint8, name="image")])
        archive.add_endpoint("serve_bytes", bytes_fn,
                             input_signature=[tf.TensorSpec([None], tf.string, name="image_bytes")])
        archive.write_out(staging, verbose=False)
        write_warmup(os.path.join(staging, WARMUP_FILE))
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def next_version(export_dir):
    """The next integer version under `export_dir` (1 if there is none)."""
    versions = [int(name) for name in os.listdir(export_dir) if name.isdigit()] if os.path.isdir(export_dir) else []
    return max(versions, default=0) + 1


def serving_functions(network, max_pixels):
    """Returns the two serving functions (uint8 tensors; encoded files) around `network`."""

    def check_size(height, width):
        pixels = tf.cast(height, tf.int64) * tf.cast(width, tf.int64)
        return [
            tf.debugging.Assert(pixels <= max_pixels, [
                f"kstyle: the image has more than max_pixels={max_pixels} pixels (height x width); got",
                height, width]),
            tf.debugging.Assert(tf.minimum(height, width) >= MIN_SIDE, [
                f"kstyle: the image must be at least {MIN_SIDE}x{MIN_SIDE} pixels; got", height, width])]

    def stylize(images):
        return tf.cast(tf.clip_by_value(tf.round(network(tf.cast(images, tf.float32))), 0.0, 255.0), tf.uint8)

    def serving_default(image):
        shape = tf.shape(image)
        with tf.control_dependencies(check_size(shape[1], shape[2])):
            return {"stylized_image": stylize(image)}

    def serve_bytes(image_bytes):
        def one(data):
            height, width = _header_size(data)
            with tf.control_dependencies(check_size(height, width)):
                image = tf.io.decode_image(data, channels=3, expand_animations=False)
            return tf.io.encode_png(stylize(image[None])[0])

        return {"stylized_image_bytes": tf.map_fn(one, image_bytes, fn_output_signature=tf.string)}

    return serving_default, serve_bytes


def _header_size(data):
    """`(height, width)` from a PNG's or JPEG's header; InvalidArgument for anything else."""
    is_png = tf.equal(tf.strings.substr(data, 0, 8), _PNG_MAGIC)
    is_jpeg = tf.equal(tf.strings.substr(data, 0, 3), _JPEG_MAGIC)
    check = tf.debugging.Assert(tf.logical_or(is_png, is_jpeg),
                                ["kstyle: image_bytes must hold a JPEG or PNG file"])
    with tf.control_dependencies([check]):
        return tf.cond(is_png, lambda: _png_size(data), lambda: _jpeg_size(data))


def _png_size(data):
    # IHDR: width and height are big-endian uint32 at bytes 16-23.
    header = tf.io.decode_raw(tf.strings.substr(data, 16, 8), tf.int32, little_endian=False)
    return header[1], header[0]


def _jpeg_size(data):
    shape = tf.image.extract_jpeg_shape(data)
    return shape[0], shape[1]


def write_warmup(path, size=32):
    """Writes one small PredictionLog per signature, which TF Serving replays at load time."""
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError:
        raise Error("exporting needs tensorflow-serving-api for the warmup records: "
                    "pip install 'kstyle[serving]'") from None
    image = np.random.default_rng(0).integers(0, 256, (1, size, size, 3), dtype=np.uint8)
    png = tf.io.encode_png(image[0]).numpy()
    requests = {"serving_default": {"image": tf.make_tensor_proto(image)},
                "serve_bytes": {"image_bytes": tf.make_tensor_proto([png], dtype=tf.string)}}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in requests.items():
            request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(signature_name=signature))
            for name, proto in inputs.items():
                request.inputs[name].CopyFrom(proto)
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
