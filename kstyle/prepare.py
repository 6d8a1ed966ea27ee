"""Everything about a stylization's images that needs no TensorFlow.

Output and scale sizes, masks, the starting image and colour handling live here,
so the CLI can check all of them in a fraction of a second before it loads a
model, and the engine in `gatys` uses the same code.
"""

import numpy as np

from kstyle import colors, images
from kstyle.errors import ImageError, UsageError
from kstyle.layer_spec import deepest, min_side


def read_masks(options, content_shape):
    """Reads `options.style_masks` at the content's size, or returns None.

    Raises:
        UsageError: a mask that is not an image, or is black everywhere.
    """
    if options.style_masks is None:
        return None
    masks = []
    for source in options.style_masks:
        try:
            mask = images.read_mask(source, *content_shape[:2])
        except ImageError as error:
            raise UsageError(f"style_masks: {error}") from None
        if mask.max() <= 0.0:
            raise UsageError(f"style_masks: {source} is black everywhere, so its style would apply nowhere")
        masks.append(mask)
    return masks


def sizes(content_shape, options):
    """Returns the `(height, width)` of every scale, the last the output's.

    Raises:
        UsageError: a scale too small for the deepest VGG16 layer used.
    """
    result = []
    for longest in options.scales:
        size = images.fit_longest_side(*content_shape[:2], longest)
        check_size(size, "the output" if longest == options.max_size else f"the {longest} px scale", options)
        result.append(size)
    return result


def initial_image(init, content, style, seed):
    """Returns the starting image, float 0-255 at the content's size."""
    height, width = content.shape[:2]
    if init == "content":
        return content.copy()
    if init == "noise":
        return np.random.default_rng(seed).uniform(0.0, 255.0, size=content.shape).astype(np.float32)
    if init == "style":
        return images.resize(style, height, width)
    return images.resize(images.read_image(init), height, width)


def apply_color_mode(content, styles, mode):
    """Returns the content and styles to optimize with, for the colour mode."""
    if mode == "luminance":
        return colors.grey(colors.luminance(content)), [colors.matched_luminance(s, content) for s in styles]
    if mode == "histogram":
        return content, [colors.match_colors(s, content) for s in styles]
    return content, styles


def finish(image, content_image, size, options):
    """Brings an optimized image to the output size and, for `luminance`, the content's colours."""
    image = images.resize(image, *size)
    if options.preserve_colors == "luminance":
        image = colors.restore_colors(image, images.resize(content_image, *size))
    return image


def check_size(size, what, options):
    smallest = min_side(options.style_layers, options.content_layers)
    if min(size) < smallest:
        raise UsageError(f"{what} would be {size[1]}x{size[0]} pixels; "
                         f"{deepest(options.style_layers, options.content_layers)} needs at least "
                         f"{smallest} on the shorter side (raise max_size)")
