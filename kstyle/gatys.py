"""Style transfer by optimization (Gatys et al.): `stylize` and the steps behind it.

The steps read straight through: images in, VGG16 features, style targets and
content features computed once, an `Objective`, the optimizer, an image out.
"""

import logging

import keras
import numpy as np

from kstyle import images, optimize, vgg
from kstyle.errors import UsageError
from kstyle.layer_spec import deepest, min_side
from kstyle.objective import Objective, StyleTarget, style_grams
from kstyle.options import StylizeOptions

_log = logging.getLogger(__name__)


def stylize(content, style, *, callbacks=(), backbone=None, **options):
    """Returns `content` painted in the style of `style`, uint8 `[h, w, 3]`.

    Args:
        content: the photo: a path, `sample:NAME`, a PIL image or an array.
        style: the painting, in any of the same forms.
        callbacks: `kstyle.callbacks.Callback`s (progress bar, saves, loss log).
        backbone: a `vgg.Backbone` to reuse across calls; loaded from
            `vgg_weights` if omitted.
        **options: any field of `StylizeOptions` (max_size, iterations,
            optimizer, style_weight, ...).

    Raises:
        UsageError: an option value that cannot work.
        ImageError: an image that cannot be read.
        Interrupted: Ctrl-C; it carries the latest image.

    Example:
        >>> image = kstyle.stylize("photo.jpg", "painting.jpg", max_size=384, iterations=200)
    """
    options = StylizeOptions.from_kwargs(**options)
    return images.to_uint8(run(images.read_image(content), images.read_image(style), options,
                               callbacks=callbacks, backbone=backbone))


def run(content_image, style_image, options, *, callbacks=(), backbone=None):
    """Stylizes decoded images (float 0-255 `[h, w, 3]`); returns float 0-255."""
    keras.utils.set_random_seed(options.seed)
    if backbone is None:
        backbone = vgg.load_vgg16(options.vgg_weights, options.seed)
        if backbone.note:
            _log.warning(backbone.note)
    height, width = output_size(content_image.shape[:2], options)
    content = images.resize(content_image, height, width)
    style = images.resize_longest(style_image, options.max_size)
    _check_size(style.shape[:2], "the style image", options)
    style_names = [name for name, _ in options.style_layers]
    extractor = vgg.feature_extractor(
        backbone.model, style_names + [name for name, _ in options.content_layers], options.pooling,
        options.precision)
    objective = Objective(
        extractor, [StyleTarget(style_grams(extractor, style, style_names))],
        options.style_layers, options.content_layers, style_weight=options.style_weight,
        content_weight=options.content_weight, tv_weight=options.tv_weight,
        normalization=options.gram_normalization)
    initial = initial_image(options.init, content, style, options.seed)
    try:
        result = optimize.optimize(
            objective, objective.content_features(content[None]), initial, optimizer=options.optimizer,
            iterations=options.iterations, learning_rate=options.learning_rate, callbacks=callbacks,
            jit_compile=options.jit_compile)
    finally:
        for callback in callbacks:
            callback.on_run_end(None)
    return result.image


def output_size(content_shape, options):
    """Returns the output `(height, width)`: the content's aspect, longest side `max_size`."""
    size = images.fit_longest_side(*content_shape, options.max_size)
    _check_size(size, "the output", options)
    return size


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


def _check_size(size, what, options):
    smallest = min_side(options.style_layers, options.content_layers)
    if min(size) < smallest:
        raise UsageError(f"{what} would be {size[1]}x{size[0]} pixels; "
                         f"{deepest(options.style_layers, options.content_layers)} needs at least "
                         f"{smallest} on the shorter side (raise max_size)")
