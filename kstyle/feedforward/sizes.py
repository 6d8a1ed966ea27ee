"""The image sizes a style network takes, known without TensorFlow so options are checked before it loads.

Reflection padding needs more pixels than it adds: a 9x9 convolution pads 4,
a 3x3 one dilated by d pads d, at the resolution it runs at (the residual
blocks run at 1 / (shrink * 2**downsamplings) of the image's).
"""

# The smallest side the network takes.
MIN_SIDE = 16

# The factors a network may paint the image shrunk by (`StyleNetwork`'s `shrink`): at 4, an image of
# `MIN_SIDE` would leave the 9x9 convolutions 4 px, which they cannot pad by reflection.
SHRINKS = (1, 2)


def max_dilation(downsamplings, shrink=1):
    """The largest residual-block dilation that images of `MIN_SIDE` still pad for (0: none pads)."""
    return MIN_SIDE // (shrink * 2 ** downsamplings) - 1


def stage_widths(width, downsamplings, widths=(), decoder_widths=()):
    """Returns `(widths, decoder_widths)`, the channels of each encoder and decoder stage.

    Defaults follow Johnson et al.: `width` doubled at each downsampling, and mirrored on the way up.

    Raises:
        ValueError: a list of the wrong length, or a width below 1.
    """
    widths = tuple(int(w) for w in widths) or tuple(int(width) * 2 ** i for i in range(downsamplings + 1))
    decoder_widths = tuple(int(w) for w in decoder_widths) or widths[-2::-1]
    if len(widths) != downsamplings + 1 or len(decoder_widths) != downsamplings or min(widths + decoder_widths) < 1:
        raise ValueError(f"widths needs {downsamplings + 1} and decoder_widths {downsamplings} positive numbers "
                         f"with {downsamplings} downsamplings, got {list(widths)} and {list(decoder_widths)}")
    return widths, decoder_widths
