"""Style transfer by optimization (Gatys et al.): `stylize` and the steps behind it.

The steps read straight through: images in; colours prepared (Gatys et al. 2017);
for each scale, coarse to fine: style targets and content features computed once,
an `Objective`, the optimizer started from the previous scale's result; colours
restored; an image out.
"""

import logging

import numpy as np

from kstyle import images, optimize, prepare, tiling, vgg
from kstyle.errors import Interrupted
from kstyle.objective import Objective, StyleTarget, blend_grams, style_grams
from kstyle.options import StylizeOptions

_log = logging.getLogger(__name__)


def stylize(content, style, *, callbacks=(), backbone=None, **options):
    """Returns `content` painted in the style of `style`, uint8 `[h, w, 3]`.

    Args:
        content: the photo: a path, `sample:NAME`, a PIL image or an array.
        style: the painting, in any of the same forms, or a list of them to
            blend (see `style_blend_weights`, `style_masks`).
        callbacks: `kstyle.callbacks.Callback`s (progress bar, saves, loss log).
        backbone: a `vgg.Backbone` to reuse across calls; loaded from
            `vgg_weights` if omitted.
        **options: any field of `StylizeOptions` (max_size, iterations,
            optimizer, style_weight, scales, preserve_colors, ...).

    Raises:
        UsageError: an option value that cannot work.
        ImageError: an image that cannot be read.
        Interrupted: Ctrl-C; it carries the latest image.

    Example:
        >>> image = kstyle.stylize("photo.jpg", "painting.jpg", max_size=384, iterations=200)
    """
    options = StylizeOptions.from_kwargs(**options)
    sources = list(style) if isinstance(style, (list, tuple)) else [style]
    options.check_style_count(len(sources))
    content_image = images.read_image(content)
    styles = [images.read_image(source) for source in sources]
    masks = prepare.read_masks(options, content_image.shape)
    return images.to_uint8(run(content_image, styles, options, masks=masks, callbacks=callbacks, backbone=backbone))


def run(content_image, style_images, options, *, masks=None, callbacks=(), backbone=None):
    """Stylizes decoded images (float 0-255 `[h, w, 3]`); returns float 0-255.

    Args:
        content_image: the photo.
        style_images: a list of one or more style images.
        options: `StylizeOptions`.
        masks: optional list of `[h, w]` masks in [0, 1], one per style.
        callbacks, backbone: as for `stylize`.
    """
    style_images = list(style_images)
    options.check_style_count(len(style_images))
    if backbone is None:
        backbone = vgg.load_vgg16(options.vgg_weights, options.seed)
        if backbone.note:
            _log.warning(backbone.note)
    scale_sizes = prepare.sizes(content_image.shape, options)
    content, style_images = prepare.apply_color_mode(content_image, style_images, options.preserve_colors)
    style_names = [name for name, _ in options.style_layers]
    extractor = vgg.feature_extractor(
        backbone.model, style_names + [name for name, _ in options.content_layers], options.pooling,
        options.precision)
    clock, image, first_step = optimize.Clock(), None, 1
    try:
        for index, (size, longest) in enumerate(zip(scale_sizes, options.scales)):
            scaled_content = images.resize(content, *size)
            styles = [images.resize_longest(style, max(1, round(longest * options.style_scale)))
                      for style in style_images]
            for style in styles:
                prepare.check_size(style.shape[:2], "the style image", options)
            objective = Objective(extractor, _targets(extractor, styles, masks, size, options),
                                  options.style_layers, options.content_layers,
                                  style_weight=options.style_weight, content_weight=options.content_weight,
                                  tv_weight=options.tv_weight, normalization=options.gram_normalization)
            if image is None:
                start = prepare.initial_image(options.init, scaled_content, styles[0], options.seed)
            else:
                start = images.resize(image, *size)
            stage = optimize.Stage(index, len(options.scales), size, options.iterations, first_step)
            result = optimize.optimize(
                _evaluator(objective, scaled_content, options), start, optimizer=options.optimizer,
                iterations=options.iterations, learning_rate=options.learning_rate, callbacks=callbacks,
                stage=stage, clock=clock)
            image, first_step = result.image, first_step + result.steps
    except Interrupted as interrupted:
        # Whatever scale it stopped at, the user gets an image of the size and colours asked for.
        latest = prepare.finish(interrupted.image.astype(np.float32), content_image, scale_sizes[-1], options)
        raise Interrupted(images.to_uint8(latest), interrupted.step) from None
    finally:
        for callback in callbacks:
            callback.on_run_end(first_step - 1)
    return prepare.finish(image, content_image, scale_sizes[-1], options)


def _evaluator(objective, content, options):
    """The loss-and-gradient function for one scale: one pass, or tiles for large images."""
    tile = tiling.tile_size_for(*content.shape[:2], options.tile_size)
    if tile is None:
        return optimize.loss_and_gradient(objective, objective.content_features(content[None]), options.jit_compile)
    return tiling.TiledEvaluator(objective, content, tile)


def _targets(extractor, styles, masks, size, options):
    """One blended target, or one masked target per style."""
    names = [name for name, _ in options.style_layers]
    grams = [style_grams(extractor, style, names) for style in styles]
    weights = options.style_blend_weights or (1.0,) * len(styles)
    if masks is None:
        return [StyleTarget(blend_grams(grams, weights))]
    return [StyleTarget(g, images.resize(mask * 255.0, *size) / 255.0, w)
            for g, mask, w in zip(grams, masks, weights) if w > 0]
