"""What a run or an export paints with: a network, a fixed blend and strength, and any image size.

`kstyle transform` and the exported SavedModel both call `painter`: images up
to `tiling.ONE_PIECE_PIXELS` go through the network in one piece; larger ones
are painted in strips, one image at a time, with the whole image's
normalization statistics (`kstyle.feedforward.tiling`), so a camera's 24 MP
photo or a served 4096x4096 request takes bounded memory and gives the
picture the network would paint in one piece.
"""

import tensorflow as tf

from kstyle.feedforward import tiling
from kstyle.feedforward.network import StyleNetwork


def painter(network, style_weights=None, strength=None, in_strips=True):
    """Returns `images -> stylized` for `network` with fixed per-style weights and strength.

    Args:
        network: a `StyleNetwork`, or any Keras model mapping 0-255 images to
            0-255 images (then always run in one piece).
        style_weights: one weight per style (see `kstyle.feedforward.blend.choose`);
            None for a network without named styles.
        strength: for every image; None for the full style.
        in_strips: paint images over `tiling.ONE_PIECE_PIXELS` in strips; False
            for formats whose converters take no loops (LiteRT, ONNX), which
            then paint every size in one piece.

    Keyword arguments are passed to the network only when set, so any image model works here.
    """
    weights = None if style_weights is None else [[float(w) for w in style_weights]]
    strips = in_strips and isinstance(network, StyleNetwork)

    def paint(images, training=False):
        images = tf.convert_to_tensor(images)
        batch = tf.shape(images)[0]
        given = {}
        if weights is not None:  # made here, not captured: converters (tf2onnx) would take a capture for an input
            given["style_weights"] = tf.tile(tf.constant(weights, tf.float32), [batch, 1])
        if strength is not None:
            given["strength"] = tf.fill([batch], float(strength))
        if not strips or training:
            return network(images, training=training, **given)
        return any_size(network, images, **given)

    return paint


def any_size(network, images, style_weights=None, strength=None):
    """`network(images, style_weights, strength)` for images of any size.

    Up to `tiling.ONE_PIECE_PIXELS` in one piece; above it, each image in
    strips, one after another (`kstyle.feedforward.tiling`). Arguments as
    `StyleNetwork`'s call takes them: per-image weights and strengths.
    """
    given = {key: value for key, value in (("style_weights", style_weights), ("strength", strength))
             if value is not None}
    return tf.cond(tiling.one_piece(images), lambda: network(images, **given),
                   lambda: _in_strips(network, images, given))


def _in_strips(network, images, given):
    """Each image painted in strips, one after another, then faded by its strength."""
    images = tf.cast(images, tf.float32)
    weights = given.get("style_weights")
    if weights is not None:
        weights = tf.reshape(tf.cast(weights, tf.float32), [tf.shape(images)[0], -1])

    def one(index):
        row = None if weights is None else weights[index][None]
        return tiling.paint(network, images[index][None], row)[0]

    painted = tf.map_fn(one, tf.range(tf.shape(images)[0]), parallel_iterations=1,
                        fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32))
    if "strength" in given:
        strength = tf.reshape(tf.clip_by_value(tf.cast(given["strength"], tf.float32), 0.0, 1.0), [-1, 1, 1, 1])
        painted = images + strength * (painted - images)
    painted.set_shape([None, None, None, 3])
    return painted
