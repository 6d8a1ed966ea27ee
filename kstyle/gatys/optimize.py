"""The Gatys engine: optimize the pixels of one image against an `Objective`.

The image lives in [0, 1] (the TensorFlow tutorial's units, so its Adam settings
carry over) and is scaled to 0-255 for VGG. Two optimizers:

* `lbfgs`: limited-memory BFGS on the device (`kstyle.gatys.lbfgs`), the pixels
  projected onto [0, 1], fed by a `tf.function` that returns the loss and its
  gradient. BENCHMARKS.md records why this one and not SciPy's L-BFGS-B.
* `adam`: the tutorial's choice (beta_1 0.99, epsilon 0.1), one gradient per
  step, the image clipped to [0, 1] after each update.

Both run on whatever device TensorFlow picks (a GPU if it sees one); Ctrl-C
raises `Interrupted` carrying the latest image.
"""

import time
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from kstyle import images
from kstyle.errors import INTERRUPTS, Error, Interrupted, UsageError, is_interrupt
from kstyle.gatys import lbfgs, memory
from kstyle.gatys.options import OPTIMIZERS

ADAM_BETA_1 = 0.99
ADAM_EPSILON = 0.1
WARM_UP = 1  # the evaluation that traces the loss before the loop: counted with the optimizer's


class Stage(NamedTuple):
    """One optimization at one size, as callbacks see it (see `callbacks.Callback`).

    `deliver` turns an image as optimized into the picture the run would write
    (output size, final colours), or is None when there is nothing to turn.
    """
    index: int
    count: int
    size: tuple
    steps: int
    first_step: int
    deliver: object = None


class Result(NamedTuple):
    """The optimized image (float 0-255 `[h, w, 3]`), the last step's logs, and the work done.

    `steps` are the iterations that ran, `reason` why they stopped (see
    `kstyle.gatys.lbfgs`: iterations done, converged, image settled, no
    decrease), and `evaluations` counts loss-and-gradient evaluations: the
    warm-up before the loop, then one per Adam step, or L-BFGS's start and one
    or more per iteration (its line search).
    """
    image: np.ndarray
    logs: dict
    steps: int
    evaluations: int
    reason: str = lbfgs.ITERATIONS_DONE


class Clock:
    """Wall time since the first loop began; shared by the stages of one run."""

    def __init__(self):
        self._start = None

    def start(self):
        if self._start is None:
            self._start = time.perf_counter()

    def seconds(self):
        return time.perf_counter() - self._start


def loss_and_gradient(objective, content_features, jit_compile=False):
    """Returns a `tf.function` `image01 [1, h, w, 3] -> (total, terms, gradient)`.

    Args:
        jit_compile: compile with XLA.
    """

    @tf.function(reduce_retracing=True, jit_compile=jit_compile)
    def evaluate(image01):
        with tf.GradientTape() as tape:
            tape.watch(image01)
            total, terms = objective(image01 * 255.0, content_features)
        return total, terms, tape.gradient(total, image01)

    return evaluate


def optimize(evaluate, initial_image, *, optimizer="lbfgs", iterations=500, learning_rate=0.02, callbacks=(),
             stage=None, clock=None, tolerance=0.0, min_change=0.0, history=memory.LBFGS_HISTORY):
    """Minimizes a loss over the pixels of `initial_image`.

    Args:
        evaluate: `image01 [1, h, w, 3] -> (total, terms, gradient)`: the
            `loss_and_gradient` of an objective, or a `tiling.TiledEvaluator`.
        initial_image: float 0-255 `[h, w, 3]`.
        optimizer: `lbfgs` or `adam`.
        iterations: optimizer iterations (L-BFGS may evaluate the loss a few
            more times in its line searches).
        learning_rate: Adam's step size in [0, 1] pixel units.
        callbacks: `callbacks.Callback`s.
        stage: this run's `Stage` in a multiscale run; one stage if omitted.
        clock: a `Clock` shared across stages.
        tolerance: stop as converged once the loss falls by less than this
            fraction over 10 iterations (`lbfgs.Convergence`); 0 never does.
        min_change: stop as settled once the image's mean absolute pixel change
            per iteration, averaged over 10 iterations, is below this many
            0-255 levels (`lbfgs.Settling`); 0 never does.
        history: the (step, gradient change) pairs L-BFGS remembers, fewer
            where they would not fit in memory (`memory.history_pairs`).

    Returns:
        A `Result`; every callback's `on_stage_end` has been given it.

    Raises:
        Interrupted: on Ctrl-C, with the latest image.
    """
    if optimizer not in OPTIMIZERS:
        raise UsageError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    height, width = initial_image.shape[:2]
    stage = stage or Stage(0, 1, (height, width), iterations, 1)
    clock = clock or Clock()
    image01 = np.clip(np.asarray(initial_image, np.float32) / 255.0, 0.0, 1.0)[None]
    evaluate(tf.constant(image01))  # Trace and warm up before the clock starts.
    for callback in callbacks:
        callback.on_stage_begin(stage)
    run = _run_lbfgs if optimizer == "lbfgs" else _run_adam
    clock.start()
    # The image is optimized in [0, 1]; min_change is in 0-255 levels.
    result = run(evaluate, image01, iterations, learning_rate, callbacks, stage, clock, tolerance, min_change / 255.0,
                 history)
    result = result._replace(evaluations=result.evaluations + WARM_UP)
    for callback in callbacks:
        callback.on_stage_end(stage, result)
    return result


def _report(callbacks, step, total, terms, clock, image01, evaluations, change):
    """Tells the callbacks of a step; `change` is the image's mean absolute change in [0, 1] units."""
    logs = {"seconds": clock.seconds(), "total": float(total), **{k: float(v) for k, v in terms.items()},
            "change": 255.0 * float(change), "evaluations": int(evaluations) + WARM_UP}
    for callback in callbacks:
        callback.on_step_end(step, logs, lambda: np.asarray(image01)[0] * 255.0)
    return logs


def _run_adam(evaluate, image01, iterations, learning_rate, callbacks, stage, clock, tolerance, settle, history):
    del history  # Adam keeps no history.
    variable = tf.Variable(image01)
    adam = keras.optimizers.Adam(learning_rate, beta_1=ADAM_BETA_1, epsilon=ADAM_EPSILON)
    adam.build([variable])

    @tf.function
    def apply(gradient):
        """Steps and clips; returns the image's mean absolute change."""
        before = tf.identity(variable)
        adam.apply_gradients([(gradient, variable)])
        variable.assign(tf.clip_by_value(variable, 0.0, 1.0))
        return tf.reduce_mean(tf.abs(variable - before))

    apply.get_concrete_function(tf.TensorSpec(variable.shape, tf.float32))
    logs, completed, evaluations, in_a_row, reason = {}, 0, 0, 0, lbfgs.ITERATIONS_DONE
    convergence, settling = lbfgs.Convergence(tolerance), lbfgs.Settling(settle)
    try:
        while completed < iterations:
            total, terms, gradient = evaluate(variable)
            evaluations += 1
            if not lbfgs.finite(total, gradient):
                # Never step on NaN: the image stays the last good one; give up if it persists.
                in_a_row += 1
                if in_a_row > lbfgs.MAX_RESTARTS:
                    raise Error(f"the loss or its gradient stayed NaN or infinite at step "
                                f"{stage.first_step + completed}; try a lower --learning_rate or --precision=float32")
                continue
            in_a_row = 0
            change = float(apply(gradient))
            completed += 1
            logs = _report(callbacks, stage.first_step + completed - 1, total, terms, clock, variable, evaluations,
                           change)
            if convergence.update(total):
                reason = lbfgs.CONVERGED
                break
            if settling.update(change):
                reason = lbfgs.SETTLED
                break
    except INTERRUPTS as error:
        if not is_interrupt(error):
            raise
        raise Interrupted(images.to_uint8(variable.numpy()[0] * 255.0), stage.first_step + completed - 1) from None
    return Result(variable.numpy()[0] * 255.0, logs, completed, evaluations, reason)


def _run_lbfgs(evaluate, image01, iterations, learning_rate, callbacks, stage, clock, tolerance, settle, history):
    del learning_rate  # L-BFGS chooses its own steps.
    latest = {"x": tf.constant(image01), "step": 0, "logs": {}}

    def after_iteration(done):
        latest.update(x=done.x, step=latest["step"] + 1)
        latest["logs"] = _report(callbacks, stage.first_step + latest["step"] - 1, done.total, done.terms, clock,
                                 done.x, done.evaluations, done.change)

    try:
        pairs = memory.history_pairs(image01.size // 3, history)
        outcome = lbfgs.minimize(evaluate, image01, iterations, history=pairs,
                                 tolerance=tolerance, settle=settle, on_iteration=after_iteration)
    except INTERRUPTS as error:
        if not is_interrupt(error):
            raise
        raise Interrupted(images.to_uint8(np.asarray(latest["x"])[0] * 255.0),
                          stage.first_step + latest["step"] - 1) from None
    return Result(np.asarray(outcome.x)[0] * 255.0, latest["logs"], outcome.iterations, outcome.evaluations,
                  outcome.reason)

