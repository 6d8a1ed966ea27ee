"""Painting a photo of any size in strips, with the same result as in one piece.

A style network's convolutions see a few pixels around each output pixel, but
its instance normalizations see the whole image: each one divides by the
mean and deviation of its features over every position. So a photo cannot
simply be cut into tiles; each tile would be normalized by its own statistics
and the seams would show. Here each normalization's statistics are gathered
first, strip by strip over the whole image, with every earlier normalization
already using the whole image's statistics; then the image is painted strip by
strip with all of them. Every strip carries the rows its convolutions need from
its neighbours, and reflection padding is applied only at the image's own
borders, so the result equals the one-piece run up to float rounding.

Between normalizations nothing is kept but what is smaller than the tensor it
started from: the features at a quarter of the resolution, after the
stride-2 stages, are kept whole, so later statistics start from them instead
of from the photo. Memory then grows with the photo only through the photo, the
output and those small features, while each strip's convolutions work on
about `strip_pixels` pixels.

Everything is TensorFlow operations over dynamic sizes (the strip loops are
`tf.while_loop`s), so the same code runs eagerly for `kstyle transform` and
inside an exported SavedModel's graph.
"""

from typing import NamedTuple

import tensorflow as tf

from kstyle.feedforward.network import ConvNormRelu, ResidualBlock, upsample_nearest

# Pixels (at full resolution) each strip's convolutions work on: about 1.4 GiB of working memory for the
# shipped network inside a graph (a 6 MP photo peaked at 2.3 GiB; with twice as many, 3.8 GiB at the same speed).
STRIP_PIXELS = 1 << 20
# Images up to this many pixels are painted in one piece; larger ones in strips.
ONE_PIECE_PIXELS = 1 << 22


class _Conv(NamedTuple):
    """One convolution stage as the strip code sees it: resampling, padding, convolution, normalization."""
    stage: object  # the ConvNormRelu, or None for the output convolution
    conv: object   # a keras Conv2D with valid padding
    pad: int
    stride: int
    upsample: int
    blur: object   # the stage's Blur2D, or None
    norm: object   # None for the output convolution
    relu: bool


def _conv(stage):
    return _Conv(stage, stage.conv, stage.pad.padding, stage.strides, stage.upsample, stage.blur, stage.norm,
                 stage.relu)


class _Residual(NamedTuple):
    """A residual block: two `_Conv`s and a skip connection around them."""
    first: _Conv
    second: _Conv


class _Plan(NamedTuple):
    """The network as units (`_Conv`s and `_Residual`s), then the output convolution."""
    units: list
    output: _Conv


def _plan(network):
    units = []
    for stage in network.stages:
        if isinstance(stage, ResidualBlock):
            units.append(_Residual(_conv(stage.first), _conv(stage.second)))
        elif isinstance(stage, ConvNormRelu):
            units.append(_conv(stage))
        else:
            raise TypeError(f"cannot paint in strips through a {type(stage).__name__}")
    output = _Conv(None, network.out_conv, network.out_pad.padding, 1, 1, None, None, False)
    return _Plan(units, output)


def _convs(unit):
    return tuple(unit) if isinstance(unit, _Residual) else (unit,)


def _height_after(conv, height):
    return (height * conv.upsample - 1) // conv.stride + 1


def _rows_needed(conv, top, bottom, height):
    """The input rows `[top, bottom)` of a tensor `height` tall that output rows `[top, bottom)` need."""
    up_height = height * conv.upsample
    pad = conv.pad + (1 if conv.blur is not None else 0)
    low = tf.maximum(top * conv.stride - pad, 0)
    high = tf.minimum((bottom - 1) * conv.stride + pad + 1, up_height)
    return low // conv.upsample, (high - 1) // conv.upsample + 1


def _pad_rows(x, top, bottom, height, pad):
    """Reflection-pads the columns always (strips span the width) and the rows only at the image's borders.

    Returns the padded strip and the global row of its first row (negative inside the top padding).
    """
    if pad == 0:
        return x, top
    pad_top = tf.where(tf.equal(top, 0), pad, 0)
    pad_bottom = tf.where(tf.equal(bottom, height), pad, 0)
    return tf.pad(x, [[0, 0], [pad_top, pad_bottom], [pad, pad], [0, 0]], mode="REFLECT"), top - pad_top


def _valid(x, low, pad, stride, operation):
    """Applies a valid `operation` of radius `pad` and `stride` to a padded strip whose first row is `low`.

    Returns the output and its rows `[first, last)`: every output row whose whole window the strip holds.
    """
    high = low + tf.shape(x)[1]
    first = (low + pad + stride - 1) // stride
    last = (high - 1 - pad) // stride + 1
    start = first * stride - pad - low
    length = (last - first - 1) * stride + 2 * pad + 1
    return operation(x[:, start:start + length]), first, last


def _convolve(conv, x, top, bottom, height):
    """Runs `conv` up to its normalization on rows `[top, bottom)`; returns (features, top, bottom, height)."""
    if conv.upsample > 1:
        x = upsample_nearest(x, conv.upsample)
        top, bottom, height = top * conv.upsample, bottom * conv.upsample, height * conv.upsample
    if conv.blur is not None:
        kernel = tf.constant(conv.blur.kernel, x.dtype)
        padded, low = _pad_rows(x, top, bottom, height, 1)
        x, top, bottom = _valid(padded, low, 1, 1,
                                lambda strip: tf.nn.depthwise_conv2d(strip, kernel, [1, 1, 1, 1], "VALID"))
    padded, low = _pad_rows(x, top, bottom, height, conv.pad)
    x, top, bottom = _valid(padded, low, conv.pad, conv.stride, conv.conv)
    return x, top, bottom, (height - 1) // conv.stride + 1


def _normalize(conv, features, style_weights, statistics):
    """The stage's normalization with the whole image's `(mean, variance)`, then its ReLU."""
    norm = conv.norm
    if conv.stage.styles:
        x = norm(features, style_weights, statistics=statistics)
    else:  # keras GroupNormalization(groups=-1): instance normalization with a plain scale and shift
        mean, variance = statistics
        x = (features - mean) * tf.math.rsqrt(variance + norm.epsilon) * norm.gamma + norm.beta
    return tf.nn.relu(x) if conv.relu else x


class _Chain:
    """Steps from a kept tensor to a point of the network, run on a strip of rows."""

    def __init__(self, units, statistics, style_weights):
        self.units, self.statistics, self.style_weights = units, statistics, style_weights

    def rows_needed(self, top, bottom, heights):
        """The kept tensor's rows that output rows `[top, bottom)` need; `heights` at each unit's input."""
        for unit, height in reversed(list(zip(self.units, heights))):
            convs = _convs(unit)
            inner_heights = [height]
            for conv in convs[:-1]:
                inner_heights.append(_height_after(conv, inner_heights[-1]))
            low, high = top, bottom
            for conv, inner in reversed(list(zip(convs, inner_heights))):
                low, high = _rows_needed(conv, low, high, inner)
            if isinstance(unit, _Residual):  # the skip connection needs the output rows themselves too
                low, high = tf.minimum(low, top), tf.maximum(high, bottom)
            top, bottom = low, high
        return top, bottom

    def run(self, x, top, bottom, height, last=None):
        """Runs the chain on rows `[top, bottom)`; `last` (a `_Conv`) stops there, before its normalization."""
        for unit in self.units:
            skip = (x, top)
            for conv in _convs(unit):
                x, top, bottom, height = _convolve(conv, x, top, bottom, height)
                if conv is last:
                    return x, top, bottom, height
                if conv.norm is not None:
                    x = _normalize(conv, x, self.style_weights, self.statistics[id(conv)])
            if isinstance(unit, _Residual):
                kept, kept_top = skip
                x = x + kept[:, top - kept_top:bottom - kept_top]
        return x, top, bottom, height


def _convs_until(units, stop=None):
    """The chain's `_Conv`s in order, up to and including `stop` (all of them if None)."""
    found = []
    for unit in units:
        for conv in _convs(unit):
            found.append(conv)
            if conv is stop:
                return found
    return found


def _size_after(units, size, stop=None):
    """A side's length after the chain's convolutions (up to `stop`), from `size` at the kept tensor."""
    for conv in _convs_until(units, stop):
        size = _height_after(conv, size)
    return size


def _heights(units, height):
    """Each unit's input height, from the kept tensor's `height`."""
    heights = []
    for unit in units:
        heights.append(height)
        for conv in _convs(unit):
            height = _height_after(conv, height)
    return heights


def _scales(units, stop=None):
    """`(largest, last)`: the chain's largest resolution and its output's, relative to the kept tensor's."""
    scale = largest = 1.0
    for conv in _convs_until(units, stop):
        scale = scale * conv.upsample / conv.stride
        largest = max(largest, scale)
    return largest, scale


def _over_strips(chain, kept, last, output_height, output_width, strip_pixels, visit, initial):
    """Runs `chain` on each strip of output rows in turn; `visit(state, features)` folds them into `state`."""
    kept_height = tf.shape(kept)[1]
    heights = _heights(chain.units, kept_height)
    largest, scale = _scales(chain.units, last)
    ratio = max(1, round(largest / scale))  # the largest resolution's rows per output row
    rows = tf.maximum(strip_pixels // (output_width * ratio * ratio), 8)
    count = (output_height + rows - 1) // rows

    def body(index, state):
        top = index * rows
        bottom = tf.minimum(top + rows, output_height)
        low, high = chain.rows_needed(top, bottom, heights)
        features, first, _, _ = chain.run(kept[:, low:high], low, high, kept_height, last)
        return index + 1, visit(state, features[:, top - first:bottom - first])

    # One strip at a time: in a graph the loop would otherwise run up to 10 strips at once, each with its
    # working memory (a 6 MP photo in strips of 2 MP took 6.5 GiB; one strip at a time, 3.8).
    _, state = tf.while_loop(lambda index, _: index < count, body, (tf.constant(0), initial), parallel_iterations=1)
    return state


def _statistics(chain, kept, conv, strip_pixels):
    """The mean and variance over the whole image of `conv`'s features, gathered strip by strip."""
    channels = conv.conv.filters
    height = _size_after(chain.units, tf.shape(kept)[1], conv)
    width = _size_after(chain.units, tf.shape(kept)[2], conv)

    def visit(state, features):
        total, squares = state
        flat = tf.cast(tf.reshape(features, [-1, channels]), tf.float64)  # float64 sums: no cancellation
        return total + tf.reduce_sum(flat, 0), squares + tf.reduce_sum(tf.square(flat), 0)

    zeros = tf.zeros([channels], tf.float64)
    total, squares = _over_strips(chain, kept, conv, height, width, strip_pixels, visit, (zeros, zeros))
    count = tf.cast(height, tf.float64) * tf.cast(width, tf.float64)
    mean = total / count
    variance = tf.maximum(squares / count - tf.square(mean), 0.0)
    shape = [1, 1, 1, channels]
    return tf.reshape(tf.cast(mean, tf.float32), shape), tf.reshape(tf.cast(variance, tf.float32), shape)


def _assemble(chain, kept, strip_pixels):
    """The chain's whole output, painted strip by strip and stacked."""
    channels = _convs_until(chain.units)[-1].conv.filters
    height = _size_after(chain.units, tf.shape(kept)[1])
    width = _size_after(chain.units, tf.shape(kept)[2])
    strips = tf.TensorArray(tf.float32, size=0, dynamic_size=True, infer_shape=False,
                            element_shape=tf.TensorShape([None, None, channels]))

    def visit(state, features):
        array, index = state
        return array.write(index, features[0]), index + 1

    array, _ = _over_strips(chain, kept, None, height, width, strip_pixels, visit, (strips, tf.constant(0)))
    return array.concat()[None]


def _smaller(units, kept):
    """Whether the chain's output holds no more numbers than `kept`: then it is kept whole instead."""
    _, scale = _scales(units)
    channels = _convs_until(units)[-1].conv.filters
    return channels * scale * scale <= int(kept.shape[-1])


def paint(network, images, style_weights=None, strip_pixels=STRIP_PIXELS):
    """Paints one image `[1, h, w, 3]` (float 0-255) in strips; returns float 0-255 `[1, h, w, 3]`.

    The same as `network(images, style_weights)` up to float rounding, for any
    size, in memory that grows with the image only through the image itself
    and the features at the network's lowest resolution.

    Args:
        network: a `StyleNetwork`.
        images: one image, `[1, h, w, 3]`.
        style_weights: `[1, styles]` for a network of named styles (one-hot or
            a blend); every style alike if omitted.
        strip_pixels: about how many pixels (at the largest resolution) each
            strip's convolutions work on at once.
    """
    if not network.built:
        network.build((None, None, None, 3))
    images = tf.convert_to_tensor(images, tf.float32)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    weights = network._style_weights(images, style_weights)
    kept = network.prepared(images)  # padded, and shrunk for a network that paints shrunk
    plan, statistics, pending = _plan(network), {}, []
    for unit in plan.units:
        for conv in _convs(unit):
            statistics[id(conv)] = _statistics(_Chain(pending + [unit], statistics, weights), kept, conv, strip_pixels)
        pending.append(unit)
        if _smaller(pending, kept):
            kept, pending = _assemble(_Chain(pending, statistics, weights), kept, strip_pixels), []
    painted = _assemble(_Chain(pending + [plan.output], statistics, weights), kept, strip_pixels)
    return network.finished(painted, height, width)


def one_piece(images):
    """Whether `images` are small enough to paint in one piece (see `ONE_PIECE_PIXELS`)."""
    shape = tf.shape(images)
    return tf.cast(shape[1], tf.int64) * tf.cast(shape[2], tf.int64) <= ONE_PIECE_PIXELS
