"""Applying a trained style network to photos: load it, run it, whatever its form.

A network comes as a shipped model's name, a `.keras` file saved by
`kstyle train`, or a SavedModel exported by `kstyle export` (served by its
`serving_default` signature, or its `blend` one when a blend or strength is
asked for). Images go through at their own size, or shrunk to `max_size` on the
longest side.
"""

import os

import numpy as np

from kstyle import images
from kstyle.errors import Error, ImageError, UsageError, first_line
from kstyle.feedforward import blend as blends
from kstyle.feedforward import exported
from kstyle.feedforward import shipped
from kstyle.feedforward.painter import painter
from kstyle.feedforward.sizes import MIN_SIDE


def load_network(model, blend=None, strength=None):
    """Returns a function `float 0-255 [1, h, w, 3] -> float 0-255 [1, h, w, 3]` for `model`.

    Args:
        model: a shipped style's name, a `.keras` file or a SavedModel directory.
        blend: which styles to paint, `NAME[:WEIGHT],...` (see
            `kstyle.feedforward.blend`); needed for a `.keras` network of
            several styles unless `model` named a shipped style.
        strength: from 0 (the photo) to 1 (the full style).

    `blend` and `strength` say what to paint, whatever the model's form; what
    they leave unsaid is the model's own choice: for an export, the blend and
    strength it was exported with (so `strength=0.5` on an export made at 0.5
    paints at 0.5, not 0.25); for a `.keras` network, full strength.

    Raises:
        UsageError: `model` is not a shipped name or an existing file, or the
            blend does not fit the network.
        Error: the file is not a style network kstyle can load.
    """
    import tensorflow as tf
    found = shipped.find(model)
    if strength is not None:
        strength = blends.strength(strength)
    if os.path.isdir(found.path):
        return _load_savedmodel(found.path, blend, strength)
    network = load_keras(found.path)
    weights = blends.choose(getattr(network, "styles", ()), blend, found.style, model)
    paint = painter(network, weights, strength)
    # One graph for every image size: about 1.7x faster than eager calls for the small network.
    run = tf.function(lambda batch: paint(batch), input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    return lambda batch: run(tf.convert_to_tensor(batch, tf.float32))


def _load_savedmodel(source, blend, strength):
    """The export's picture, or the one `blend` and `strength` ask for instead (see `load_network`)."""
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(source)
        signature = loaded.signatures["serving_default"]
    except (OSError, ValueError, KeyError, tf.errors.OpError) as error:
        raise Error(f"{source}: not a kstyle SavedModel ({first_line(error)})") from None
    inputs, outputs = sorted(signature.structured_input_signature[1]), sorted(signature.structured_outputs)
    if (inputs, outputs) != (["image"], ["stylized_image"]):
        raise Error(f"{source}: not a kstyle SavedModel (its serving_default takes {', '.join(inputs) or 'nothing'} "
                    f"and gives {', '.join(outputs) or 'nothing'}, not image and stylized_image)")
    made_weights, made_strength = exported.made_with(source)
    styles = exported.style_names(source)

    def as_uint8(batch):
        return tf.cast(tf.clip_by_value(tf.round(batch), 0, 255), tf.uint8)

    if not blend and strength in (None, made_strength):
        return lambda batch: tf.cast(_served(source, signature, image=as_uint8(batch))["stylized_image"], tf.float32)
    if not styles:
        if blend:
            raise UsageError(f"--blend: {source} has no {exported.BLEND_SIGNATURE} signature (exported for one "
                             "style without a name); export the network again to blend")
        if made_strength != 1.0:
            raise UsageError(f"--strength: {source} was exported at strength {made_strength:g} and has no blend "
                             f"signature, so it paints at {made_strength:g} only; export the network again without "
                             "--strength")

        def faded(batch):  # the full style, faded here as the network would fade it
            stylized = tf.cast(_served(source, signature, image=as_uint8(batch))["stylized_image"], tf.float32)
            return batch + strength * (stylized - batch)
        return faded
    weights = blends.weights(blend, styles) if blend else made_weights or blends.choose(styles, model=source)
    weights = tf.constant([weights], tf.float32)
    strength = made_strength if strength is None else strength
    mixed = loaded.signatures[exported.BLEND_SIGNATURE]

    def run(batch):
        count = tf.shape(batch)[0]
        result = _served(source, mixed, image=as_uint8(batch), style_weights=tf.tile(weights, [count, 1]),
                         strength=tf.fill([count], strength))
        return tf.cast(result["stylized_image"], tf.float32)

    return run


def _served(source, signature, **inputs):
    """Calls an exported signature; a request its budget refuses is an `ImageError` in the export's words."""
    import tensorflow as tf
    try:
        return signature(**inputs)
    except tf.errors.InvalidArgumentError as error:
        reason = exported.refusal(error.message)
        if reason is None:
            raise
        raise ImageError(f"{source} refuses it: {reason}; --max_size shrinks photos before they are painted") from None


def load_with_weights(model, blend=None):
    """Returns `(network, style weights)` for a `.keras` model: what an export of it paints.

    The weights are one per style (`blend.choose`: `blend`, the shipped style
    `model` names, or the network's only style), None for a network without
    named styles.
    """
    found = shipped.find(model)
    network = load_keras(found.path)
    return network, blends.choose(getattr(network, "styles", ()), blend, found.style, model)


def load_keras(path):
    """Loads a `.keras` style network, with a one-line `Error` for files that are not one.

    Any Keras model that maps an image to one of its size will do; another (a
    classifier, a model of one input size) is refused here, where its file can
    be named, rather than when a picture is painted or exported.
    """
    import keras
    try:
        network = keras.saving.load_model(path)
    except Exception as error:  # Keras raises many kinds for files that are not models.
        raise Error(f"{path}: not a Keras style network ({first_line(error)})") from None
    probe = np.zeros((1, 32, 32, 3), np.float32)
    try:
        shape = list(network(probe).shape)
    except Exception:  # Keras and TensorFlow raise many kinds for inputs a model cannot take
        shape = None
    if shape != list(probe.shape):
        got = "nothing it can take" if shape is None else f"{shape}, not to an image of that size"
        raise Error(f"{path}: not a style network: it maps a 32x32 image to {got}")
    return network


def stylize(network, image, max_size=None):
    """Runs `network` on one float 0-255 image `[h, w, 3]`; returns uint8 at the same (or shrunk) size.

    Raises:
        UsageError: the image (after shrinking) is smaller than the network accepts.
        Error: the machine has not the memory to paint it.
    """
    import tensorflow as tf
    if max_size and max(image.shape[:2]) > max_size:
        image = images.resize_longest(image, max_size)
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise UsageError(f"the image is {width}x{height}; the network needs at least {MIN_SIDE}x{MIN_SIDE} pixels")
    try:
        return images.to_uint8(np.asarray(network(image[None]))[0])
    except (MemoryError, tf.errors.ResourceExhaustedError):
        raise Error(f"out of memory painting {width}x{height} pixels; --max_size paints it smaller") from None
