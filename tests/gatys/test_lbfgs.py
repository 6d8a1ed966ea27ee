import numpy as np
import pytest
import tensorflow as tf

from kstyle.errors import Error
from kstyle.gatys import lbfgs


def quadratic(center, curvature):
    center, curvature = tf.constant(center, tf.float32), tf.constant(curvature, tf.float32)

    @tf.function
    def evaluate(x):
        r = x - center
        return tf.reduce_sum(curvature * r * r), {"value": tf.reduce_sum(curvature * r * r)}, 2 * curvature * r

    return evaluate


def test_finds_the_minimum_of_an_ill_conditioned_quadratic():
    rng = np.random.default_rng(0)
    center = rng.uniform(0.2, 0.8, (1, 8, 8, 3)).astype(np.float32)
    curvature = rng.uniform(1, 1000, center.shape).astype(np.float32)  # condition number 1000
    outcome = lbfgs.minimize(quadratic(center, curvature), np.zeros_like(center), 150, history=20)
    np.testing.assert_allclose(outcome.x.numpy(), center, atol=1e-3)
    assert outcome.evaluations >= outcome.iterations + 1 > 100  # the start, then one or more per iteration
    longer = lbfgs.minimize(quadratic(center, curvature), np.zeros_like(center), 150, history=100)
    np.testing.assert_allclose(longer.x.numpy(), center, atol=1e-3)
    assert longer.iterations < 0.9 * outcome.iterations  # a longer memory shapes each step better


def test_a_preconditioner_that_knows_the_curvature_solves_in_a_few_iterations():
    rng = np.random.default_rng(0)
    center = rng.uniform(0.2, 0.8, (1, 8, 8, 3)).astype(np.float32)
    curvature = rng.uniform(1, 1000, center.shape).astype(np.float32)
    evaluate, start = quadratic(center, curvature), np.zeros_like(center)
    plain = lbfgs.minimize(evaluate, start, 5)
    exact = lbfgs.minimize(evaluate, start, 5, precondition=lambda q: q / curvature)  # the inverse Hessian, scaled
    assert float(evaluate(exact.x)[0]) < 1e-8 < 1e-3 * float(evaluate(plain.x)[0])
    np.testing.assert_allclose(exact.x.numpy(), center, atol=1e-4)


def test_respects_the_box():
    center = np.array([[-1.0, 0.5, 2.0]], np.float32)  # outside, inside, outside [0, 1]
    outcome = lbfgs.minimize(quadratic(center, np.ones_like(center)), np.full_like(center, 0.3), 30)
    np.testing.assert_allclose(outcome.x.numpy(), [[0.0, 0.5, 1.0]], atol=1e-4)


def test_rosenbrock():
    @tf.function
    def evaluate(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = tf.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        return value, {}, tape.gradient(value, x)

    outcome = lbfgs.minimize(evaluate, np.zeros(6, np.float32), 300, lower=-2.0, upper=2.0)
    np.testing.assert_allclose(outcome.x.numpy(), np.ones(6), atol=1e-2)


def test_reports_every_iteration_with_decreasing_loss():
    seen = []
    evaluate = quadratic(np.full((4,), 0.7), np.arange(1, 5, dtype=np.float32))
    outcome = lbfgs.minimize(evaluate, np.zeros(4, np.float32), 12,
                             on_iteration=lambda done: seen.append(float(done.total)))
    # The loss reaches exactly 0 after 9 or 10; then no decrease is left, and the run says so.
    assert len(seen) == outcome.iterations >= 9
    assert all(b <= a + 1e-6 for a, b in zip(seen, seen[1:]))


def test_lengthens_steps_that_are_too_short():
    # From far away on a flat quadratic the first step (1/255 of a pixel) is far too short;
    # the Wolfe search doubles it instead of crawling.
    seen = []
    lbfgs.minimize(quadratic(np.full((1, 4, 4, 3), 0.9), np.full((1, 4, 4, 3), 0.01)), np.zeros((1, 4, 4, 3)), 3,
                   on_iteration=lambda done: seen.append(float(tf.reduce_max(done.x))))
    assert seen[0] > 0.1  # doubled from 1/255
    assert abs(seen[-1] - 0.9) < 1e-3


def test_says_how_many_iterations_ran_and_why():
    evaluate = quadratic(np.full((4,), 0.7), np.arange(1, 5, dtype=np.float32))
    done = lbfgs.minimize(evaluate, np.zeros(4, np.float32), 7)
    assert (done.iterations, done.reason, done.restarts) == (7, lbfgs.ITERATIONS_DONE, 0)

    def offset(x):  # a minimum of 1, not 0: relative decreases stay measurable
        total, terms, gradient = evaluate(x)
        return total + 1.0, terms, gradient

    converged = lbfgs.minimize(offset, np.zeros(4, np.float32), 500, tolerance=1e-6)
    assert converged.reason == lbfgs.CONVERGED and 2 < converged.iterations < 500
    stuck = lbfgs.minimize(evaluate, np.full(4, 0.7, np.float32), 50)  # already at the minimum
    assert stuck.reason == lbfgs.NO_DECREASE and stuck.iterations < 50


def with_nan(evaluate, bad):
    """`evaluate`, but a NaN loss and gradient wherever `bad(x, call)` (call counts from 1)."""
    calls = [0]

    def wrapped(x):
        calls[0] += 1
        total, terms, gradient = evaluate(x)
        if bad(x, calls[0]):
            return tf.constant(np.nan), terms, gradient * np.nan
        return total, terms, gradient

    return wrapped


def test_a_nan_is_never_accepted_the_search_shortens_the_step():
    # The minimum (0.9) lies where the loss is NaN (above 0.7): the run stays on the finite side.
    evaluate = with_nan(quadratic(np.full((3,), 0.9), np.ones(3, np.float32)),
                        lambda x, call: float(tf.reduce_max(x)) > 0.7)
    outcome = lbfgs.minimize(evaluate, np.zeros(3, np.float32), 30)
    assert np.isfinite(outcome.x.numpy()).all() and float(tf.reduce_max(outcome.x)) <= 0.7
    assert float(tf.reduce_min(outcome.x)) > 0.6  # and gets as close as it can


def test_a_passing_nan_restarts_from_the_last_good_point():
    evaluate = with_nan(quadratic(np.full((5,), 0.4), np.arange(1, 6, dtype=np.float32)),
                        lambda x, call: 2 <= call <= 1 + lbfgs.MAX_TRIALS)  # the whole first line search
    outcome = lbfgs.minimize(evaluate, np.zeros(5, np.float32), 40)
    assert outcome.restarts == 1
    np.testing.assert_allclose(outcome.x.numpy(), 0.4, atol=1e-3)


def test_a_nan_that_persists_is_one_clear_error():
    evaluate = with_nan(quadratic(np.full((3,), 0.5), np.ones(3, np.float32)), lambda x, call: call > 1)
    with pytest.raises(Error, match=f"stayed NaN or infinite after {lbfgs.MAX_RESTARTS} restarts"):
        lbfgs.minimize(evaluate, np.zeros(3, np.float32), 10)
    with pytest.raises(Error, match="NaN or infinite at the starting image"):
        lbfgs.minimize(with_nan(quadratic(np.zeros(3), np.ones(3)), lambda x, call: True), np.zeros(3), 10)


def test_a_misleading_direction_falls_back_to_steepest_descent(monkeypatch):
    """A direction that descends before projection onto the box and climbs after it is caught.

    At x = (1, 0.5) the loss wants x0 beyond the box and x1 higher. The direction (1, -1) descends
    (its x0 part dominates) but the box clips x0, leaving a step that lowers x1: uphill.
    """
    @tf.function
    def evaluate(x):
        value = -10.0 * x[0] + (x[1] - 0.9) ** 2
        return value, {}, tf.stack([-10.0 + 0.0 * x[0], 2.0 * (x[1] - 0.9)])

    misled = []

    def misleading(self, gradient):
        misled.append(bool(self.pairs))
        return tf.constant([1.0, -1.0]) if self.pairs else -gradient

    monkeypatch.setattr(lbfgs._History, "direction", misleading)
    outcome = lbfgs.minimize(evaluate, np.array([1.0, 0.5], np.float32), 20)
    assert any(misled)  # the bad direction was offered, and refused: x1 went up towards 0.9, not down
    assert outcome.x.numpy()[0] == 1.0 and 0.8 < outcome.x.numpy()[1] <= 0.9


def test_a_failed_search_with_history_tries_steepest_descent_before_giving_up(monkeypatch):
    """A quasi-Newton direction whose every step is too long still ends at the minimum."""
    evaluate = quadratic(np.full((4,), 0.6), np.ones(4, np.float32))
    original = lbfgs._History.direction

    def overshooting(self, gradient):
        return original(self, gradient) * (1e9 if self.pairs else 1.0)

    monkeypatch.setattr(lbfgs._History, "direction", overshooting)
    monkeypatch.setattr(lbfgs, "MAX_TRIALS", 5)  # too few halvings to come back from 1e9
    outcome = lbfgs.minimize(evaluate, np.zeros(4, np.float32), 30)
    np.testing.assert_allclose(outcome.x.numpy(), 0.6, atol=1e-3)


def test_convergence_is_judged_over_a_window_of_iterations():
    convergence = lbfgs.Convergence(tolerance=0.01, window=3)
    # One short step among long ones is not convergence; three iterations that together gain < 1% are.
    assert [convergence.update(t) for t in (100, 90, 89.99, 80, 79.9, 79.5, 79.4)] == [
        False, False, False, False, False, False, True]
    assert not any(lbfgs.Convergence(0.0).update(t) for t in (1, 1, 1, 1))  # 0: never


def test_settling_is_judged_over_a_window_of_iterations():
    settling = lbfgs.Settling(threshold=1.0, window=3)
    # One small step among large ones is not settling; three that average below the threshold are.
    assert [settling.update(c) for c in (5, 4, 0.1, 3, 0.5, 0.5, 2.5, 0.2, 0.1)] == [False] * 8 + [True]
    assert not any(lbfgs.Settling(0.0).update(c) for c in (0, 0, 0, 0))  # 0: never


def test_each_iteration_reports_its_evaluations_and_how_far_the_point_moved():
    seen = []
    evaluate = quadratic(np.full((4,), 0.7), np.arange(1, 5, dtype=np.float32))
    outcome = lbfgs.minimize(evaluate, np.zeros(4, np.float32), 5, on_iteration=seen.append)
    before = np.zeros(4)
    for done in seen:
        np.testing.assert_allclose(done.change, np.abs(done.x.numpy() - before).mean(), rtol=1e-5)
        before = done.x.numpy()
    assert [done.evaluations for done in seen] == sorted(done.evaluations for done in seen)
    assert seen[-1].evaluations == outcome.evaluations


def valley(x):
    """Rosenbrock's function: a long curved valley that the point walks along, then its minimum (all ones)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = tf.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return value, {}, tape.gradient(value, x)


def test_settle_stops_a_point_that_has_stopped_moving_not_one_still_moving():
    start = np.zeros(48, np.float32)
    walking = lbfgs.minimize(valley, start, 100, settle=4e-4)  # about 6e-3 per iteration along the valley
    assert (walking.reason, walking.iterations) == (lbfgs.ITERATIONS_DONE, 100)
    arrived = lbfgs.minimize(valley, start, 1000, settle=4e-4)
    assert arrived.reason == lbfgs.SETTLED and 100 < arrived.iterations < 1000
    np.testing.assert_allclose(arrived.x.numpy(), 1.0, atol=1e-2)


def two_loop(pairs, gradient):
    """Nocedal & Wright's algorithm 7.4 in float64, initial inverse Hessian (s.y / y.y) I: the reference."""
    q, alphas = gradient.astype(np.float64), []
    for s, y in reversed(pairs):
        alpha = (s @ q) / (s @ y)
        q = q - alpha * y
        alphas.append(alpha)
    s, y = pairs[-1]
    q = q * (s @ y) / (y @ y)
    for (s, y), alpha in zip(pairs, reversed(alphas)):
        q = q + (alpha - (y @ q) / (s @ y)) * s
    return -q


@pytest.mark.parametrize("pushes", [1, 3, 5, 12])  # 12: the ring buffer has wrapped twice
def test_the_compact_direction_is_the_two_loop_recursions(pushes):
    rng = np.random.default_rng(pushes)
    shape, size = (2, 5, 3), 5
    history, pairs = lbfgs._History(size), []
    for _ in range(pushes):
        s = rng.normal(size=shape)
        y = s * rng.uniform(0.5, 3.0, size=shape) + 0.1 * rng.normal(size=shape)  # s . y > 0, as L-BFGS keeps
        history.push(tf.constant(s, tf.float32), tf.constant(y, tf.float32))
        pairs = (pairs + [(s.astype(np.float32).ravel().astype(np.float64),
                           y.astype(np.float32).ravel().astype(np.float64))])[-size:]
    gradient = rng.normal(size=shape).astype(np.float32)
    direction = history.direction(tf.constant(gradient))
    assert direction.shape == shape and history.pairs == min(pushes, size)
    np.testing.assert_allclose(direction.numpy().ravel(), two_loop(pairs, gradient.ravel()), rtol=1e-4, atol=1e-5)
    history.clear()
    np.testing.assert_array_equal(history.direction(tf.constant(gradient)).numpy(), -gradient)
    first_step, first_change = (tf.constant(vector.reshape(shape), tf.float32) for vector in pairs[0])
    history.push(first_step, first_change)
    np.testing.assert_allclose(history.direction(tf.constant(gradient)).numpy().ravel(),
                               two_loop(pairs[:1], gradient.ravel()), rtol=1e-4, atol=1e-5)
