"""Applying a trained style network to photos: load it, run it, whatever its form.

A network comes as a shipped model's name, a `.keras` file saved by
`kstyle train`, or a SavedModel exported by `kstyle export` (served by its
`serving_default` signature). Images go through at their own size, or shrunk to
`max_size` on the longest side.
"""

import os

import numpy as np

from kstyle import images
from kstyle.errors import Error, UsageError, first_line
from kstyle.feedforward import shipped
from kstyle.feedforward.network import MIN_SIDE


def load_network(model):
    """Returns a function `float 0-255 [1, h, w, 3] -> float 0-255 [1, h, w, 3]` for `model`.

    Raises:
        UsageError: `model` is not a shipped name or an existing file.
        Error: the file is not a style network kstyle can load.
    """
    import tensorflow as tf
    source = shipped.resolve(model)
    if os.path.isdir(source):
        try:
            signature = tf.saved_model.load(source).signatures["serving_default"]
        except (OSError, ValueError, KeyError, tf.errors.OpError) as error:
            raise Error(f"{source}: not a kstyle SavedModel ({first_line(error)})") from None

        def run(batch):
            result = signature(image=tf.cast(tf.clip_by_value(tf.round(batch), 0, 255), tf.uint8))
            return tf.cast(result["stylized_image"], tf.float32)

        return run
    network = load_keras(source)
    # One graph for every image size: about 1.7x faster than eager calls for the small network.
    run = tf.function(lambda batch: network(batch, training=False),
                      input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    return lambda batch: run(tf.convert_to_tensor(batch, tf.float32))


def load_keras(path):
    """Loads a `.keras` style network, with a one-line `Error` for files that are not one."""
    import keras
    try:
        return keras.saving.load_model(path)
    except Exception as error:  # Keras raises many kinds for files that are not models.
        raise Error(f"{path}: not a Keras style network ({first_line(error)})") from None


def stylize(network, image, max_size=None):
    """Runs `network` on one float 0-255 image `[h, w, 3]`; returns uint8 at the same (or shrunk) size.

    Raises:
        UsageError: the image (after shrinking) is smaller than the network accepts.
    """
    if max_size and max(image.shape[:2]) > max_size:
        image = images.resize_longest(image, max_size)
    if min(image.shape[:2]) < MIN_SIDE:
        raise UsageError(f"the image is {image.shape[1]}x{image.shape[0]}; the network needs at least "
                         f"{MIN_SIDE}x{MIN_SIDE} pixels")
    return images.to_uint8(np.asarray(network(image[None]))[0])
