"""Style transfer by optimization (Gatys et al.): `stylize` and the run behind it.

The steps read straight through: the inputs planned and checked (`plan`); colours
prepared (Gatys et al. 2017); for each scale, coarse to fine: style targets and
content features computed once, an `Objective`, the optimizer started from the
previous scale's result; colours restored; an image out.
"""

from typing import NamedTuple

import numpy as np

from kstyle import images, progress
from kstyle.errors import INTERRUPTS, Interrupted, UsageError, is_interrupt
from kstyle.gatys import optimize, plan, tiling
from kstyle.gatys.callbacks import ProgressBar
from kstyle.gatys.options import StylizeOptions
from kstyle.perceptual import vgg
from kstyle.perceptual.objective import Objective, StyleTarget, blend_grams, style_grams


class Stylized(NamedTuple):
    """What a run made: the image (float 0-255 `[h, w, 3]`), the iterations that ran over all
    scales, why each scale stopped (see `kstyle.gatys.lbfgs`), each scale's loss evaluations
    and each scale's `(height, width)`."""
    image: np.ndarray
    steps: int
    reasons: tuple
    evaluations: tuple = ()
    sizes: tuple = ()

    def full_size_evaluations(self):
        """The loss evaluations, each weighed by its scale's pixels over the output's: the run's cost
        in evaluations at the output's size (a 256 px evaluation counts a quarter of a 512 px one)."""
        if not self.sizes:
            return float(sum(self.evaluations))
        height, width = self.sizes[-1]
        return float(sum(count * h * w for count, (h, w) in zip(self.evaluations, self.sizes)) / (height * width))


def stylize(content, style, *, options=None, callbacks=(), backbone=None, verbose=None, **keywords):
    """Returns `content` painted in the style of `style`, uint8 `[h, w, 3]`.

    Args:
        content: the photo: a path, `sample:NAME`, a PIL image or an array.
        style: the painting, in any of the same forms, or a list of them to
            blend (see `style_blend_weights`, `style_masks`).
        options: `StylizeOptions` (a preset's, say: `kstyle.presets.options`);
            keywords beside it change it.
        callbacks: `kstyle.gatys.callbacks.Callback`s (progress bar, saves, loss log).
        verbose: show the progress (`callbacks.ProgressBar`): True, False, or
            None for where someone watches it live, a terminal or a notebook,
            since a run takes minutes.
        backbone: a `vgg.Backbone` to reuse across calls; loaded from
            `vgg_weights` if omitted.
        **keywords: any option of `StylizeOptions`, named flat (max_size,
            iterations, optimizer, style_weight, scales, preserve_colors, ...),
            or `perceptual=PerceptualOptions(...)`; with `options`, they
            override it.

    Raises:
        UsageError: an option value that cannot work.
        ImageError: an image that cannot be read.
        Interrupted: Ctrl-C; it carries the latest image.

    Example:
        >>> image = kstyle.stylize("photo.jpg", "painting.jpg", max_size=384, iterations=200)
    """
    if options is None:
        options = StylizeOptions.from_kwargs(**keywords)
    elif not isinstance(options, StylizeOptions):
        raise UsageError(f"options must be StylizeOptions, got {type(options).__name__}")
    elif keywords:
        options = options.replace(**keywords)
    run_plan = plan.make_plan(content, style, options)
    callbacks = list(callbacks)
    if progress.wanted(verbose) and not any(isinstance(callback, ProgressBar) for callback in callbacks):
        callbacks.append(ProgressBar())
    return images.to_uint8(run(run_plan, callbacks=callbacks, backbone=backbone).image)


def run(run_plan, *, callbacks=(), backbone=None):
    """Stylizes a `Plan` (see `kstyle.gatys.plan.make_plan`); returns a `Stylized`.

    Args:
        run_plan: the checked inputs and options.
        callbacks, backbone: as for `stylize`.
    """
    options = run_plan.options
    perceptual = options.perceptual
    if backbone is None:
        backbone = vgg.load_vgg16(perceptual.vgg_weights, perceptual.seed)  # says so if it falls back
    content, style_images = plan.apply_color_mode(run_plan.content, run_plan.styles, options.preserve_colors)
    extractor = vgg.feature_extractor(backbone.model, perceptual.layer_names, perceptual.pooling,
                                      perceptual.precision)
    clock, image, first_step, reasons, evaluations = optimize.Clock(), None, 1, [], []
    scales = len(run_plan.sizes)

    def finish(raw):
        return plan.finish(raw, run_plan.content, run_plan.sizes[-1], options)

    try:
        for index, (size, style_sizes) in enumerate(zip(run_plan.sizes, run_plan.style_sizes)):
            scaled_content = images.resize(content, *size)
            styles = [images.resize(style, *style_size) for style, style_size in zip(style_images, style_sizes)]
            objective = Objective.from_options(extractor, _targets(extractor, styles, run_plan.masks, size, options),
                                               perceptual)
            if image is None:
                start = plan.initial_image(options.init, scaled_content, styles[0], perceptual.seed, run_plan.init)
            else:
                start = images.resize(image, *size)
            iterations = options.iterations_at(index)
            stage = optimize.Stage(index, scales, size, iterations, first_step, finish)
            result = optimize.optimize(
                _evaluator(objective, scaled_content, options), start, optimizer=options.optimizer,
                iterations=iterations, learning_rate=options.learning_rate, callbacks=callbacks,
                stage=stage, clock=clock, tolerance=options.tolerance, min_change=options.min_change,
                history=options.lbfgs_history)
            image, first_step = result.image, first_step + result.steps
            reasons.append(result.reason)
            evaluations.append(result.evaluations)
    except Interrupted as interrupted:
        # Whatever scale it stopped at, the user gets an image of the size and colours asked for.
        raise Interrupted(images.to_uint8(finish(interrupted.image.astype(np.float32))), interrupted.step) from None
    except INTERRUPTS as error:
        if image is None or not is_interrupt(error):
            raise
        # Between scales (while the next one's targets are computed): the finished scales are kept.
        raise Interrupted(images.to_uint8(finish(image)), first_step - 1) from None
    finally:
        for callback in callbacks:
            callback.on_run_end(first_step - 1)
    return Stylized(finish(image), first_step - 1, tuple(reasons), tuple(evaluations), tuple(run_plan.sizes))


def _evaluator(objective, content, options):
    """The loss-and-gradient function for one scale: one pass, or tiles for large images."""
    tile = tiling.tile_size_for(*content.shape[:2], options.tile_size)
    if tile is None:
        return optimize.loss_and_gradient(objective, objective.content_features(content[None]), options.jit_compile)
    return tiling.TiledEvaluator(objective, content, tile)


def _targets(extractor, styles, masks, size, options):
    """One blended target, or one masked target per style; a large style image is taken in tiles."""
    layers = options.perceptual.style_names
    grams = []
    for style in styles:
        tile = tiling.tile_size_for(*style.shape[:2], options.tile_size)
        grams.append(style_grams(extractor, style, layers) if tile is None
                     else tiling.style_grams(extractor, style, layers, tile))
    weights = options.style_blend_weights or (1.0,) * len(styles)
    if masks is None:
        return [StyleTarget(blend_grams(grams, weights))]
    return [StyleTarget(g, images.resize(mask * 255.0, *size) / 255.0, w)
            for g, mask, w in zip(grams, masks, weights) if w > 0]
