"""The front door of a stylization: every input read and checked once, without TensorFlow.

`make_plan` reads the photo, the style images, the masks and a starting image
given as a file, checks the per-style options against the style count, and works
out every scale's size for the output and the styles. The CLI calls it before it
loads TensorFlow, so a typo costs a fraction of a second; `kstyle.stylize` calls
it too, and the engine (`kstyle.gatys.stylize.run`) takes the `Plan` as it is.
The colour handling and the starting image are here as well: they need NumPy only.
"""

from typing import NamedTuple, Optional

import numpy as np

from kstyle import images
from kstyle.errors import ImageError, UsageError
from kstyle.gatys import colors, memory

# The named starting images; anything else given as `init` is an image to read.
INITS = ("content", "recolored", "noise", "style")


class Plan(NamedTuple):
    """A stylization's inputs, read and checked.

    Attributes:
        content: the photo, float 0-255 `[h, w, 3]` at its own size.
        styles: the style images, float 0-255, at their own sizes.
        masks: one `[h, w]` mask in [0, 1] per style at the photo's size, or None.
        init: the starting image when `options.init` names a file, else None.
        sizes: `(height, width)` of the output at each scale, the last the output's.
        style_sizes: at each scale, `(height, width)` of each style image.
        options: the `StylizeOptions`.
    """
    content: np.ndarray
    styles: list
    masks: Optional[list]
    init: Optional[np.ndarray]
    sizes: list
    style_sizes: list
    options: object


def make_plan(content, style, options):
    """Reads and checks everything a run needs; returns a `Plan`.

    Args:
        content: the photo: a path, `sample:NAME`, a PIL image or an array.
        style: a painting in any of the same forms, or a list of them.
        options: `StylizeOptions`.

    Raises:
        UsageError: counts that do not match, bad masks, sizes too small, or
            a run larger than the memory the machine has available.
        ImageError: an image that cannot be read.
    """
    sources = list(style) if isinstance(style, (list, tuple)) else [style]
    options.check_style_count(len(sources))
    content_image = images.read_image(content)
    styles = [images.read_image(source) for source in sources]
    init = None if options.init in INITS else images.read_image(options.init)
    masks = read_masks(options, content_image.shape)
    sizes = output_sizes(content_image.shape, options)
    style_sizes = []
    for longest in options.scales:
        side = max(1, round(longest * options.style_scale))
        scale_styles = [images.fit_longest_side(*image.shape[:2], side) for image in styles]
        for size in scale_styles:
            check_size(size, "the style image", options)
        style_sizes.append(scale_styles)
    check_memory(content_image.shape, [image.shape for image in styles], options)
    return Plan(content_image, styles, masks, init, sizes, style_sizes, options)


def check_memory(content_shape, style_shapes, options):
    """Refuses, before anything loads, a run whose estimated peak exceeds the memory available.

    An out-of-memory kill takes a long run and the machine's other work with it;
    one line now says what would fit. (`kstyle.gatys.memory` explains the estimate.)
    """
    have = memory.available()
    if have is None:
        return

    def need(longest):
        height, width = images.fit_longest_side(*content_shape[:2], longest)
        side = max(1, round(longest * options.style_scale))
        styles = [images.fit_longest_side(*shape[:2], side) for shape in style_shapes]
        layers = options.perceptual.layer_names
        return max([memory.estimate(height, width, options.optimizer, options.tile_size, layers, options.lbfgs_history)]
                   + [memory.estimate(h, w, "none", options.tile_size, options.perceptual.style_names)
                      for h, w in styles])

    if need(options.max_size) > have:
        height, width = images.fit_longest_side(*content_shape[:2], options.max_size)
        fits = memory.largest_side(need, options.max_size, have)
        raise UsageError(f"a {width}x{height} run needs about {memory.gib(need(options.max_size))} and this "
                         f"machine has {memory.gib(have)} available; use --max_size={fits} or less (or a smaller "
                         "--style_scale), or free memory")


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


def output_sizes(content_shape, options):
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


def initial_image(init, content, style, seed, image=None):
    """Returns the starting image, float 0-255 at the size of `content` (the first scale's photo).

    Args:
        init: one of `INITS`, or a path whose decoded image is `image` (`Plan.init`).
    """
    height, width = content.shape[:2]
    if init == "content":
        return content.copy()
    if init == "recolored":  # the photo, its colours' mean and covariance moved onto the painting's
        return colors.match_colors(content, style)
    if init == "noise":
        return np.random.default_rng(seed).uniform(0.0, 255.0, size=content.shape).astype(np.float32)
    if init == "style":
        return images.resize(style, height, width)
    return images.resize(images.read_image(init) if image is None else image, height, width)


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
    smallest = options.perceptual.min_side()
    if min(size) < smallest:
        raise UsageError(f"{what} would be {size[1]}x{size[0]} pixels; "
                         f"{options.perceptual.deepest_layer()} needs at least "
                         f"{smallest} on the shorter side (raise max_size)")
