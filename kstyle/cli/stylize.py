"""`kstyle stylize`: paint a photo in the style of a painting, by optimization."""

import time

from kstyle import images
from kstyle.cli import flags
from kstyle.cli.console import print_error
from kstyle.errors import Error, Interrupted, UsageError
from kstyle.gatys.options import StylizeOptions
from kstyle.gatys.plan import make_plan
from kstyle.startup import import_tensorflow_quietly


def main():
    """Checks every input before loading TensorFlow, then optimizes; returns the exit status."""
    flags.require("stylize")
    options = flags.options_from_flags(StylizeOptions)
    if flags.SAVE_EVERY.value < 0:
        raise UsageError(f"--save_every must be 0 (off) or a number of steps, got {flags.SAVE_EVERY.value}")
    output = flags.OUTPUT.value
    images.check_writable(output)
    if flags.LOSS_LOG.value:
        images.check_writable_file(flags.LOSS_LOG.value)
    plan = make_plan(flags.CONTENT.value, flags.STYLE.value, options)

    import_tensorflow_quietly()
    import tensorflow as tf

    from kstyle.gatys import callbacks
    from kstyle.gatys.stylize import run
    from kstyle.perceptual import precision, vgg

    backbone = vgg.load_vgg16(options.perceptual.vgg_weights, options.perceptual.seed)
    run_callbacks = [] if flags.QUIET.value else [callbacks.ProgressBar()]
    if flags.SAVE_EVERY.value:
        run_callbacks.append(callbacks.SaveEvery(flags.SAVE_EVERY.value, output))
    if flags.LOSS_LOG.value:
        run_callbacks.append(callbacks.LossLog(flags.LOSS_LOG.value))
    started = time.perf_counter()
    try:
        result = run(plan, callbacks=run_callbacks, backbone=backbone)
    except Interrupted as interrupted:
        images.write_image(output, interrupted.image)
        return print_error(f"interrupted after step {interrupted.step}; wrote the latest image to {output}", 130)
    except (MemoryError, tf.errors.ResourceExhaustedError):
        raise Error(f"out of memory at --max_size={options.max_size}; try a smaller size") from None
    images.write_image(output, result.image)
    print(f"wrote {output} ({closing_summary(result)}, {time.perf_counter() - started:.0f} s, "
          f"VGG16 weights: {backbone.source}, precision: {precision.resolve(options.perceptual.precision)})")
    return 0


def closing_summary(result):
    """The size, the work done and why it stopped: `512x384, 84 iterations, 91 loss evaluations, stopped: ...`."""
    height, width = result.image.shape[:2]
    scales = len(result.reasons)
    evaluations = f"{sum(result.evaluations)} loss evaluations"
    if scales > 1:  # the coarse scales' evaluations cost less: say what they add up to at the output's size
        evaluations += f" ({result.full_size_evaluations():.0f} full-size)"
    return (f"{width}x{height}, {result.steps} iterations{f' at {scales} scales' if scales > 1 else ''}, "
            f"{evaluations}, stopped: {'; '.join(dict.fromkeys(result.reasons))}")
