"""The image sizes a style network takes, known without TensorFlow so options are checked before it loads.

Reflection padding needs more pixels than it adds: a 9x9 convolution pads 4,
a 3x3 one dilated by d pads d, at the resolution it runs at (the residual
blocks run at 1 / 2**downsamplings of the image's).
"""

# The smallest side the network takes.
MIN_SIDE = 16


def max_dilation(downsamplings):
    """The largest residual-block dilation that images of `MIN_SIDE` still pad for."""
    return MIN_SIDE // 2 ** downsamplings - 1
