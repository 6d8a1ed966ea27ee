"""The feed-forward style network (Johnson, Alahi & Fei-Fei 2016), as a Keras model.

Reflection padding, a 9x9 convolution, two stride-2 convolutions (or another
number: `downsamplings`), residual blocks, as many nearest-neighbour upsampling
+ convolution stages (transposed convolutions leave checkerboard artifacts:
Odena et al. 2016), and a 9x9 convolution back to RGB; each stage's channels
are set by `widths` and `decoder_widths` (a thin decoder is what makes a
network fast: its layers run at full resolution); instance normalization
after every convolution but the last (Ulyanov et al. 2016), here
`GroupNormalization(groups=-1)`. The output goes through a scaled tanh, so it
is always valid 0-255 RGB.

A network may hold several styles (`styles`): its normalizations are then
conditional (`kstyle.feedforward.normalization`), and a call says which style,
or which blend of them, to paint with `style_weights`. `strength` fades the
result back towards the photo.

A network may paint the image shrunk (`shrink=2`): it averages each 2x2 block
of pixels, paints that, and enlarges its picture back bilinearly, for a quarter
of the compute and strokes twice as large, with no weights of its own, so a
trained network can be fine-tuned to it.

Any input size works: the model pads (by reflection) to a multiple of 4 (2 to
the number of downsamplings, times `shrink`) inside and crops back, so the
output has exactly the input's size, odd sizes too. Inputs smaller than
`MIN_SIDE` on either side are refused with a clear InvalidArgument error
instead of a MirrorPad failure deep inside.
"""

import keras
import numpy as np
import tensorflow as tf

from kstyle.feedforward.normalization import ConditionalInstanceNormalization
from kstyle.feedforward.sizes import MIN_SIDE, SHRINKS, max_dilation, stage_widths  # noqa: F401 (its home was here)


@keras.saving.register_keras_serializable(package="kstyle")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by reflection, so borders look like the image, not like black.

    Args:
        padding: pixels added on each side.
    """

    def __init__(self, padding, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, images):
        p = self.padding
        return tf.pad(images, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        def grow(size):
            return None if size is None else size + 2 * self.padding
        return (input_shape[0], grow(input_shape[1]), grow(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def upsample_nearest(images, factor):
    """Repeats each pixel `factor` times along height and width.

    A resize, not UpSampling2D: its repeat loses the channel count, which the
    TFLite converter needs for the convolution that follows.
    """
    size = tf.shape(images)[1:3] * factor
    return tf.cast(tf.image.resize(images, size, method="nearest"), images.dtype)


@keras.saving.register_keras_serializable(package="kstyle")
class Blur2D(keras.layers.Layer):
    """A fixed binomial blur, [1, 2, 1] x [1, 2, 1] / 16 per channel, with reflection padding.

    It removes the period-2 component of a signal and halves the period-4 one, so
    after a nearest-neighbour upsampling it makes the upsampling bilinear-like, and
    before a stride-2 convolution it anti-aliases the subsampling (Zhang 2019):
    either way the network loses the fixed phase its stride-2 and upsampling
    stages give it, from which it can paint a grid-locked period-4 pattern.
    """

    def build(self, input_shape):
        taps = np.array([1.0, 2.0, 1.0])
        kernel = np.outer(taps, taps) / 16.0
        # Static channels, so the depthwise kernel (and converters) know the shape.
        self.kernel = np.tile(kernel[:, :, None, None], (1, 1, int(input_shape[-1]), 1)).astype(np.float32)

    def call(self, x):
        padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
        return tf.nn.depthwise_conv2d(padded, tf.constant(self.kernel, x.dtype), [1, 1, 1, 1], "VALID")

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="kstyle")
class ConvNormRelu(keras.layers.Layer):
    """Reflection padding, convolution, instance normalization and (optionally) ReLU.

    Args:
        filters, kernel_size, strides: of the convolution.
        relu: whether to end with a ReLU (residual blocks' second convolution does not).
        upsample: nearest-neighbour upsampling factor applied first (1: none).
        antialias: blur after the upsampling, or before a strided convolution (see `Blur2D`).
        styles: 0 for a plain instance normalization, else how many styles its
            conditional one holds (called with `style_weights` then).
        dilation: of the convolution (with stride 1 only).
    """

    def __init__(self, filters, kernel_size, strides=1, relu=True, upsample=1, antialias=False, styles=0,
                 dilation=1, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides
        self.relu, self.upsample, self.antialias, self.styles = relu, upsample, bool(antialias), int(styles)
        self.dilation = int(dilation)
        self.blur = Blur2D() if self.antialias and (upsample > 1 or strides > 1) else None
        self.pad = ReflectionPadding2D(kernel_size // 2 * self.dilation)
        # No bias: instance norm subtracts it again, so its gradient is pure rounding noise,
        # which Adam would amplify into steps that differ from machine to machine.
        self.conv = keras.layers.Conv2D(filters, kernel_size, strides, padding="valid", use_bias=False,
                                        dilation_rate=self.dilation)
        self.norm = (ConditionalInstanceNormalization(self.styles) if self.styles
                     else keras.layers.GroupNormalization(groups=-1, epsilon=1e-5))

    def build(self, input_shape):
        channels = input_shape[-1]
        if self.blur is not None:
            self.blur.build((None, None, None, channels))
        self.conv.build((None, None, None, channels))
        self.norm.build((None, None, None, self.filters))

    def call(self, x, style_weights=None):
        if self.upsample > 1:
            x = upsample_nearest(x, self.upsample)
        if self.blur is not None:
            x = self.blur(x)
        x = self.conv(self.pad(x))
        x = self.norm(x, style_weights) if self.styles else self.norm(x)
        return tf.nn.relu(x) if self.relu else x

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "relu": self.relu, "upsample": self.upsample,
                "antialias": self.antialias, "styles": self.styles, "dilation": self.dilation}


@keras.saving.register_keras_serializable(package="kstyle")
class ResidualBlock(keras.layers.Layer):
    """Two 3x3 ConvNormRelu with a skip connection (no ReLU after the sum, as in Johnson et al.).

    `dilation` spreads the first convolution's taps that many pixels apart: the
    block then sees 2 * dilation + 2 pixels further instead of 4, at the same
    cost and with no stride, and the dense second convolution mixes the
    interleaved pixel sets the dilated one keeps apart (no gridding).
    """

    def __init__(self, filters, styles=0, dilation=1, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.styles, self.dilation = filters, int(styles), int(dilation)
        self.first = ConvNormRelu(filters, 3, styles=self.styles, dilation=self.dilation)
        self.second = ConvNormRelu(filters, 3, relu=False, styles=self.styles)

    def build(self, input_shape):
        self.first.build(input_shape)
        self.second.build(input_shape[:-1] + (self.filters,))

    def call(self, x, style_weights=None):
        return x + self.second(self.first(x, style_weights), style_weights)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "styles": self.styles, "dilation": self.dilation}


@keras.saving.register_keras_serializable(package="kstyle")
class StyleNetwork(keras.Model):
    """Stylizes 0-255 RGB images of any size in one pass.

    Args:
        width: filters of the first convolution; the paper's model is 32, then
            2x and 4x after each downsampling, and the decoder mirrors them.
            8 or 16 give small, fast models.
        residual_blocks: the paper uses 5.
        antialias: blur after each upsampling and before each strided
            convolution (`Blur2D`); networks saved before it existed load with it off.
        styles: the names of the styles it paints, for conditional instance
            normalization (one or more); empty for the plain instance
            normalization of networks saved before styles had names.
        downsamplings: stride-2 stages before the residual blocks, each undone
            by an upsampling after them (Johnson et al.: 2). Each doubles the
            channels and the receptive field for the same cost, but gives the
            network a fixed phase to paint a grid-locked pattern from; with 0
            every layer runs at full resolution, at `width` channels, and the
            network is shift-equivariant.
        dilations: the residual blocks' dilations, in turn (block i takes
            `dilations[i % len(dilations)]`); empty, none is dilated. They widen
            what each pixel sees, for bolder strokes, without a stride's grid:
            `(2, 4, 8)` takes a full-resolution network of 3 blocks from 29 px to
            51 px (`receptive_field`).
        widths: the filters of the input convolution and of each stride-2
            stage (`downsamplings + 1` numbers; the residual blocks take the
            last); empty, `width` doubled at each stage, as in the paper.
        decoder_widths: the filters of each upsampling stage (`downsamplings`
            numbers); empty, the widths mirrored. Magenta's multi-style network
            narrows to 8 and 4: its full-resolution layers then cost little.
        shrink: paint the image shrunk by this factor (one of `SHRINKS`,
            averaging blocks of pixels) and enlarge the picture back
            bilinearly; 1 (networks saved before it existed) paints at full size.

    Called as `network(images, style_weights=None, strength=None)`:
        images: float or uint8 0-255, `[batch, height, width, 3]`.
        style_weights: float `[batch, len(styles)]`, which style (one-hot) or
            blend each image gets; omitted, every style weighs the same (so
            Keras' own tracing and `predict(photos)` work on any network).
        strength: float `[batch]` in [0, 1]: 0 gives each photo back, 1 (the
            default) the full style, in between a mix of the two in pixels.

    Example:
        >>> network = kstyle.StyleNetwork(width=16, residual_blocks=3)
        >>> stylized = network(photos)  # float32 0-255, same shape as photos
    """

    def __init__(self, width=32, residual_blocks=5, antialias=False, styles=(), downsamplings=2, dilations=(),
                 widths=(), decoder_widths=(), shrink=1, **kwargs):
        super().__init__(**kwargs)
        self.shrink = int(shrink)
        if self.shrink not in SHRINKS or max_dilation(int(downsamplings), self.shrink) < 1:
            raise ValueError(f"shrink must be one of {', '.join(map(str, SHRINKS))} and leave images of {MIN_SIDE} px "
                             f"at least {2 * 2 ** int(downsamplings)} px after {int(downsamplings)} downsamplings, "
                             f"got {shrink}")
        self.residual_blocks, self.antialias = int(residual_blocks), bool(antialias)
        self.downsamplings = int(downsamplings)
        self.widths, self.decoder_widths = stage_widths(width, self.downsamplings, widths, decoder_widths)
        self.width = self.widths[0]
        self.dilations = tuple(int(rate) for rate in dilations)
        largest = max_dilation(self.downsamplings, self.shrink)
        if any(not 1 <= rate <= largest for rate in self.dilations):
            raise ValueError(f"dilations must be from 1 to {largest} with {self.downsamplings} downsamplings "
                             f"(images of {MIN_SIDE} px must still pad), got {self.dilations}")
        self.styles = tuple(str(name) for name in styles)
        if len(set(self.styles)) != len(self.styles):
            raise ValueError(f"styles must have different names, got {', '.join(self.styles)}")
        smooth, count, levels = self.antialias, len(self.styles), self.downsamplings
        self.stages = [
            ConvNormRelu(self.widths[0], 9, styles=count, name="in"),
            *[ConvNormRelu(self.widths[i], 3, strides=2, antialias=smooth, styles=count, name=f"down{i}")
              for i in range(1, levels + 1)],
            *[ResidualBlock(self.widths[-1], styles=count, dilation=self.block_dilation(i), name=f"residual{i + 1}")
              for i in range(self.residual_blocks)],
            *[ConvNormRelu(self.decoder_widths[i - 1], 3, upsample=2, antialias=smooth, styles=count, name=f"up{i}")
              for i in range(1, levels + 1)],
        ]
        self.out_pad = ReflectionPadding2D(4)
        self.out_conv = keras.layers.Conv2D(3, 9, padding="valid", name="out")

    @property
    def lattice_period(self):
        """The period, in pixels, of the grid the stride-2 stages and the shrinking lay over the image (1: none)."""
        return self.shrink * 2 ** self.downsamplings

    def block_dilation(self, index):
        """The dilation of residual block `index` (from 0)."""
        return self.dilations[index % len(self.dilations)] if self.dilations else 1

    @property
    def receptive_field(self):
        """How many pixels across one output pixel depends on (convolutions only; normalizations see all)."""
        radius, step = 4, 1  # the 9x9 input convolution
        for _ in range(self.downsamplings):  # a 3x3 stride-2 convolution
            radius += step
            step *= 2
        radius += sum(step * (self.block_dilation(i) + 1) for i in range(self.residual_blocks))
        for _ in range(self.downsamplings):  # an upsampling, then a 3x3 convolution
            step //= 2
            radius += step
        return self.shrink * (2 * (radius + 4) + 1)  # and the 9x9 output convolution

    def build(self, input_shape):
        shape = (None, None, None, 3)
        for stage in self.stages:
            stage.build(shape)
            shape = stage.compute_output_shape(shape)
        self.out_conv.build(shape)

    def call(self, images, style_weights=None, strength=None):
        images = tf.convert_to_tensor(images)
        weights = self._style_weights(images, style_weights)
        height, width = tf.shape(images)[1], tf.shape(images)[2]
        checks = [tf.debugging.assert_greater_equal(
            tf.minimum(height, width), MIN_SIDE,
            message=f"kstyle: images must be at least {MIN_SIDE}x{MIN_SIDE} pixels")]
        with tf.control_dependencies(checks):
            x = self.prepared(images)
        for stage in self.stages:
            x = stage(x, weights) if self.styles else stage(x)
        x = self.finished(self.out_conv(self.out_pad(x)), height, width)
        if strength is not None:
            photos = tf.cast(images, tf.float32)
            strength = tf.reshape(tf.clip_by_value(tf.cast(strength, tf.float32), 0.0, 1.0), [-1, 1, 1, 1])
            x = photos + strength * (x - photos)
        x.set_shape([None, None, None, 3])
        return x

    def prepared(self, images):
        """The images as the first stage takes them: -1 to 1, padded, shrunk (`finished` undoes it)."""
        height, width = tf.shape(images)[1], tf.shape(images)[2]
        # Reflect-pad to a multiple of shrink * 2**downsamplings so they are exact, and crop back after.
        # (m - n % m) % m, not (-n) % m: the same here, but ONNX converters map a modulo of a
        # negative number to C's remainder (-1 where TensorFlow gives 3).
        multiple = self.shrink * 2 ** self.downsamplings
        pad_bottom = (multiple - height % multiple) % multiple
        pad_right = (multiple - width % multiple) % multiple
        x = tf.pad(tf.cast(images, self.compute_dtype) / 127.5 - 1.0,
                   [[0, 0], [0, pad_bottom], [0, pad_right], [0, 0]], mode="REFLECT")
        if self.shrink > 1:  # the mean of each block: an exact box filter, a built-in of every converter
            x = tf.nn.avg_pool2d(x, self.shrink, self.shrink, "VALID")
        # Padding by computed amounts loses every static dimension, and the TFLite converter refuses
        # a convolution of unknown channels: a reshape to the known 3 gives them back with a
        # built-in operation (tf.ensure_shape is not one; set_shape is lost in conversion).
        padded = tf.shape(x)
        return tf.reshape(x, [padded[0], padded[1], padded[2], 3])

    def finished(self, x, height, width):
        """The output convolution's result `x` as a 0-255 picture of `height` x `width` (see `prepared`)."""
        x = 127.5 * (tf.tanh(tf.cast(x, tf.float32)) + 1.0)
        if self.shrink > 1:  # half-pixel centres: each painted pixel lands on the middle of its block
            x = tf.image.resize(x, tf.shape(x)[1:3] * self.shrink, method="bilinear")
        return x[:, :height, :width, :]

    def _style_weights(self, images, style_weights):
        """`[batch, styles]` weights for the conditional normalizations, None for a plain network."""
        if not self.styles:
            if style_weights is not None:
                raise ValueError("this network has no named styles; call it without style_weights")
            return None
        if style_weights is None:
            count = len(self.styles)
            return tf.fill([tf.shape(images)[0], count], 1.0 / count)
        style_weights = tf.convert_to_tensor(style_weights, tf.float32)
        if style_weights.shape.rank is not None and style_weights.shape.rank != 2:
            raise ValueError(f"style_weights must be [batch, styles], got shape {style_weights.shape}")
        # Checked statically: the exported signatures fix style_weights as [None, styles].
        if style_weights.shape[-1] is not None and style_weights.shape[-1] != len(self.styles):
            raise ValueError(f"style_weights has {style_weights.shape[-1]} columns; this network paints "
                             f"{len(self.styles)} styles ({', '.join(self.styles)})")
        return tf.reshape(style_weights, [-1, len(self.styles)])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "width": self.width, "residual_blocks": self.residual_blocks,
                "antialias": self.antialias, "styles": list(self.styles), "downsamplings": self.downsamplings,
                "dilations": list(self.dilations), "widths": list(self.widths),
                "decoder_widths": list(self.decoder_widths), "shrink": self.shrink}
