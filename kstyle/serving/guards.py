"""The request budget inside the graph: refuse before anything is decoded or run.

Every check is a `tf.debugging.Assert` that the work depends on, so a request
over budget fails with an InvalidArgument error whose message names the limit
(ASCII only: never the request's own bytes, which a REST error could not carry)
and costs only the reading of a shape or of a few header bytes. For encoded
files the sizes come from the PNG's IHDR or the JPEG's frame header, the sizes
TensorFlow's decoders then allocate (see `decoded`).
"""

import tensorflow as tf

from kstyle.feedforward.network import MIN_SIDE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_HEADER = 33  # signature, IHDR length and type, 13 bytes of IHDR, its CRC
# The longest side PNG allows (JPEG's is 65535, a tensor's its memory). Sides are checked against it before
# they are multiplied, so height x width stays below 2**62: IHDR's four bytes per side, multiplied unchecked,
# could pass 2**63 and turn negative, passing every limit and pulling the request's sum under its budget.
MAX_SIDE = 2**31 - 1


def request_checks(sizes, budget):
    """Asserts for a request whose images have `sizes` int64 `[batch, 2]` (height, width), each at most `MAX_SIDE`.

    With sides at most `MAX_SIDE` a product fits int64, and with the budget's
    limits (`kstyle.serving.limits`) so does the sum of a request that passes.
    """
    count = tf.shape(sizes, out_type=tf.int64)[0]
    pixels = sizes[:, 0] * sizes[:, 1]
    return [
        tf.debugging.Assert(count > 0, ["kstyle: the request holds no image"]),
        tf.debugging.Assert(count <= budget.max_batch, [
            f"kstyle: the request holds more than max_batch={budget.max_batch} images; got", count]),
        tf.debugging.Assert(tf.reduce_all(pixels <= budget.max_pixels), [
            f"kstyle: an image has more than max_pixels={budget.max_pixels} pixels (height x width); got",
            tf.reduce_max(pixels)]),
        tf.debugging.Assert(tf.reduce_sum(pixels) <= budget.max_request_pixels, [
            f"kstyle: the images of the request have more than max_request_pixels={budget.max_request_pixels} "
            "pixels in all; got", tf.reduce_sum(pixels)]),
        tf.debugging.Assert(tf.reduce_all(tf.reduce_min(sizes, axis=1) >= MIN_SIDE), [
            f"kstyle: every image must be at least {MIN_SIDE}x{MIN_SIDE} pixels"]),
    ]


def header_size(data):
    """`(height, width)` int64 `[2]` of one PNG or JPEG file, from its header; InvalidArgument otherwise."""
    length = tf.strings.length(data)
    checks = [tf.debugging.Assert(length > 0, ["kstyle: an image_bytes entry is empty"])]
    with tf.control_dependencies(checks):
        is_png = tf.equal(tf.strings.substr(data, 0, 8), PNG_MAGIC)
        is_jpeg = tf.equal(tf.strings.substr(data, 0, 3), JPEG_MAGIC)
    checks = [tf.debugging.Assert(tf.logical_or(is_png, is_jpeg), ["kstyle: image_bytes must hold JPEG or PNG files"])]
    with tf.control_dependencies(checks):
        return tf.cond(is_png, lambda: _png_size(data, length), lambda: _jpeg_size(data))


def decoded(data):
    """Decodes one file to uint8 `[h, w, 3]`.

    TensorFlow's decoders allocate the size the header states, which is the one
    `header_size` read and the budget checked: a PNG whose IHDR claims fewer
    pixels than it holds decodes to the claimed size, one that claims more fails
    ("Invalid PNG data"), and a JPEG's frame header is read by the same library
    both times. So no size is compared here: no file can decode to another.
    """
    return tf.io.decode_image(data, channels=3, expand_animations=False)


def _png_size(data, length):
    # IHDR must come first: its length (13), its type, then width and height as big-endian uint32.
    # Read from a padded copy: substr past the end fails with the request's raw bytes in its message.
    padded = data + b"\0" * _PNG_HEADER
    check = tf.debugging.Assert(
        tf.logical_and(length >= _PNG_HEADER, tf.equal(tf.strings.substr(padded, 12, 4), b"IHDR")),
        ["kstyle: a PNG in image_bytes is cut short or has no IHDR header"])
    with tf.control_dependencies([check]):
        header = tf.io.decode_raw(tf.strings.substr(padded, 16, 8), tf.uint8)
    words = tf.reshape(tf.cast(header, tf.int64), [2, 4])
    sides = tf.reduce_sum(words * [1 << 24, 1 << 16, 1 << 8, 1], axis=1)
    check = tf.debugging.Assert(tf.reduce_all(sides <= MAX_SIDE), [
        f"kstyle: a PNG in image_bytes claims a side over {MAX_SIDE} pixels, more than PNG allows"])
    with tf.control_dependencies([check]):
        return tf.reverse(sides, [0])  # (height, width)


def _jpeg_size(data):
    return tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64)
