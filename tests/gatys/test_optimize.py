import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_image

from kstyle.errors import Interrupted, UsageError
from kstyle.gatys import callbacks, lbfgs, optimize
from kstyle.perceptual import vgg
from kstyle.perceptual.layers import parse_layer_weights
from kstyle.perceptual.objective import Objective, StyleTarget, style_grams


class Recorder(callbacks.Callback):
    def __init__(self):
        self.stages, self.steps, self.logs, self.ended = [], [], [], False

    def on_stage_begin(self, stage):
        self.stages.append(stage)

    def on_step_end(self, step, logs, image):
        self.steps.append(step)
        self.logs.append(logs)
        self.last_image = image()

    def on_run_end(self, step):
        self.ended = True


@pytest.fixture(scope="module")
def problem(random_backbone):
    style_layers = parse_layer_weights("block1_conv1,block2_conv1")
    content_layers = parse_layer_weights("block2_conv2")
    extractor = vgg.feature_extractor(random_backbone.model, ["block1_conv1", "block2_conv1", "block2_conv2"])
    style = synthetic_image(32, 32, seed=7)
    content = synthetic_image(32, 40, seed=8)
    objective = Objective(extractor, [StyleTarget(style_grams(extractor, style, ["block1_conv1", "block2_conv1"]))],
                          style_layers, content_layers, style_weight=1e3, content_weight=1.0, tv_weight=1.0)
    return objective, objective.content_features(content[None]), content


def run(problem, start=None, **kwargs):
    objective, features, content = problem
    return optimize.optimize(optimize.loss_and_gradient(objective, features),
                             content if start is None else start, **kwargs)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_loss_goes_down(problem, optimizer):
    content = problem[2]
    recorder = Recorder()
    result = run(problem, optimizer=optimizer, iterations=15, learning_rate=0.02, callbacks=[recorder])
    totals = [logs["total"] for logs in recorder.logs]
    assert recorder.steps == list(range(1, 16))
    assert totals[-1] < 0.5 * totals[0]
    assert result.image.shape == content.shape
    assert 0.0 <= result.image.min() and result.image.max() <= 255.0
    np.testing.assert_allclose(result.logs["total"], totals[-1])
    seconds = [logs["seconds"] for logs in recorder.logs]
    assert seconds == sorted(seconds) and seconds[0] > 0
    for logs in recorder.logs:
        np.testing.assert_allclose(logs["total"], logs["style"] + logs["content"] + logs["tv"], rtol=1e-5)


def test_lbfgs_logs_are_the_loss_of_the_reported_image(problem):
    objective, features, content = problem
    recorder = Recorder()
    run(problem, iterations=5, callbacks=[recorder])
    evaluate = optimize.loss_and_gradient(objective, features)
    total, _, _ = evaluate(recorder.last_image[None] / 255.0)
    np.testing.assert_allclose(total.numpy(), recorder.logs[-1]["total"], rtol=1e-5)


def test_lbfgs_respects_pixel_bounds(problem):
    white = np.full_like(problem[2], 255.0)
    result = run(problem, start=white, iterations=5)
    assert result.image.max() <= 255.0 + 1e-3 and result.image.min() >= -1e-3


def _interrupt_in_c_code():
    """What a signal handler raising inside NumPy's C code looks like (seen on a CI run under SIGTERM)."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        raise SystemError("<built-in method __array__> returned a result with an exception set") from interrupt


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
@pytest.mark.parametrize("inside_c_code", [False, True])
def test_interrupt_carries_the_latest_image(problem, optimizer, inside_c_code):
    content = problem[2]

    class Stop(callbacks.Callback):
        def on_step_end(self, step, logs, image):
            self.image = image()
            if step == 3:
                if inside_c_code:
                    _interrupt_in_c_code()
                raise KeyboardInterrupt

    stop = Stop()
    with pytest.raises(Interrupted) as raised:
        run(problem, optimizer=optimizer, iterations=10, callbacks=[stop])
    assert raised.value.image.dtype == np.uint8 and raised.value.image.shape == content.shape
    assert raised.value.step == 3  # the steps completed: the callback stopped it after the third
    assert isinstance(raised.value, KeyboardInterrupt)
    np.testing.assert_array_equal(raised.value.image, np.clip(np.rint(stop.image), 0, 255))


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_system_error_of_its_own_is_not_taken_for_an_interrupt(problem, optimizer):
    class Broken(callbacks.Callback):
        def on_step_end(self, step, logs, image):
            raise SystemError("a real bug")

    with pytest.raises(SystemError, match="a real bug"):
        run(problem, optimizer=optimizer, iterations=5, callbacks=[Broken()])


def test_unknown_optimizer(problem):
    with pytest.raises(UsageError, match="lbfgs, adam"):
        run(problem, optimizer="sgd")


def test_xla_gives_the_same_loss_and_gradient(problem):
    objective, features, content = problem
    image = content[None] / 255.0
    plain = optimize.loss_and_gradient(objective, features)(image)
    compiled = optimize.loss_and_gradient(objective, features, jit_compile=True)(image)
    np.testing.assert_allclose(compiled[0].numpy(), plain[0].numpy(), rtol=1e-4)
    np.testing.assert_allclose(compiled[2].numpy(), plain[2].numpy(), rtol=1e-3, atol=1e-3 * np.abs(plain[2]).max())


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_tolerance_stops_either_optimizer_as_converged(optimizer):
    target = np.full((1, 8, 8, 3), 0.6, np.float32)

    def evaluate(image01):  # quartic: flat near its minimum, so the progress tails off instead of ending
        difference = tf.convert_to_tensor(image01) - target
        total = tf.reduce_sum(difference ** 4) + 1.0  # a minimum of 1: relative decreases stay measurable
        return total, {"style": total, "content": 0.0 * total, "tv": 0.0 * total}, 4.0 * difference ** 3

    start = np.zeros((8, 8, 3), np.float32)
    result = optimize.optimize(evaluate, start, optimizer=optimizer, iterations=2000, learning_rate=0.05,
                               tolerance=1e-3)
    assert result.reason == lbfgs.CONVERGED and 10 < result.steps < 2000
    unlimited = optimize.optimize(evaluate, start, optimizer=optimizer, iterations=30, learning_rate=0.05)
    assert unlimited.reason in (lbfgs.ITERATIONS_DONE, lbfgs.NO_DECREASE)


def quartic(image01):
    """A loss flat near its minimum (0.6 everywhere): the image changes less and less, then hardly at all."""
    difference = tf.convert_to_tensor(image01) - 0.6
    total = tf.reduce_sum(difference ** 4)
    return total, {"style": total, "content": 0.0 * total, "tv": 0.0 * total}, 4.0 * difference ** 3


def valley(image01):
    """Rosenbrock's function of the pixels: a long curved valley the image walks along for a hundred iterations
    and more (L-BFGS about 1.5 levels per iteration, Adam about 0.3), then its minimum, white."""
    pixels = tf.reshape(tf.convert_to_tensor(image01), [-1])
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        total = tf.reduce_sum(100.0 * (pixels[1:] - pixels[:-1] ** 2) ** 2 + (1.0 - pixels[:-1]) ** 2)
    gradient = tf.reshape(tape.gradient(total, pixels), tf.shape(image01))
    return total, {"style": total, "content": 0.0 * total, "tv": 0.0 * total}, gradient


def changes_of(optimizer, evaluate, iterations, min_change):
    recorder = Recorder()
    result = optimize.optimize(evaluate, np.zeros((4, 4, 3), np.float32), optimizer=optimizer, iterations=iterations,
                               learning_rate=0.02, min_change=min_change, callbacks=[recorder])
    return result, [logs["change"] for logs in recorder.logs]


@pytest.mark.parametrize("optimizer, evaluate", [("lbfgs", quartic), ("lbfgs", valley), ("adam", quartic)])
def test_min_change_stops_a_run_whose_image_has_settled(optimizer, evaluate):
    result, changes = changes_of(optimizer, evaluate, 2000, min_change=0.1)
    assert result.reason == lbfgs.SETTLED and lbfgs.WINDOW <= result.steps < 2000
    assert np.mean(changes[-lbfgs.WINDOW:]) < 0.1 <= np.mean(changes[-lbfgs.WINDOW - 1:-1])  # the first window below
    if evaluate is valley:  # at the end of the valley, not on the way
        assert result.steps > 100 and result.image.min() > 0.99 * 255


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_min_change_does_not_stop_a_run_whose_image_is_still_changing(optimizer):
    result, changes = changes_of(optimizer, valley, 100, min_change=0.1)
    assert (result.reason, result.steps) == (lbfgs.ITERATIONS_DONE, 100)
    assert min(np.convolve(changes, np.ones(lbfgs.WINDOW), mode="valid")) / lbfgs.WINDOW > 0.1


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_logs_and_result_count_the_loss_evaluations(problem, optimizer):
    recorder = Recorder()
    ended = []

    class StageEnd(callbacks.Callback):
        def on_stage_end(self, stage, result):
            ended.append((stage.index, result.reason, result.evaluations))

    result = run(problem, optimizer=optimizer, iterations=6, callbacks=[recorder, StageEnd()])
    counts = [logs["evaluations"] for logs in recorder.logs]
    assert counts == sorted(counts) and counts[-1] == result.evaluations
    if optimizer == "adam":  # the warm-up, then one per step
        assert result.evaluations == 1 + 6
    else:  # the warm-up, L-BFGS's start, then one or more per iteration (its line search)
        assert result.evaluations >= 1 + 1 + 6
    assert ended == [(0, lbfgs.ITERATIONS_DONE, result.evaluations)]


def test_lbfgs_remembers_the_history_asked_for_as_memory_allows(problem, monkeypatch):
    from kstyle.gatys import memory
    asked = []
    minimize = lbfgs.minimize
    monkeypatch.setattr(lbfgs, "minimize", lambda *args, **keywords: asked.append(keywords["history"])
                        or minimize(*args, **keywords))
    run(problem, iterations=2, history=100)
    assert asked == [100]
    assert memory.history_pairs(4096 * 4096, 100) < 100  # at print sizes, what fits
    assert memory.estimate(512, 512, history=100) > memory.estimate(512, 512, history=20)
