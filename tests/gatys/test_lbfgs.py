import numpy as np
import tensorflow as tf

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
    x, evaluations = lbfgs.minimize(quadratic(center, curvature), np.zeros_like(center), 150)
    np.testing.assert_allclose(x.numpy(), center, atol=1e-3)
    assert evaluations >= 151


def test_respects_the_box():
    center = np.array([[-1.0, 0.5, 2.0]], np.float32)  # outside, inside, outside [0, 1]
    x, _ = lbfgs.minimize(quadratic(center, np.ones_like(center)), np.full_like(center, 0.3), 30)
    np.testing.assert_allclose(x.numpy(), [[0.0, 0.5, 1.0]], atol=1e-4)


def test_rosenbrock():
    @tf.function
    def evaluate(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = tf.reduce_sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        return value, {}, tape.gradient(value, x)

    x, _ = lbfgs.minimize(evaluate, np.zeros(6, np.float32), 300, lower=-2.0, upper=2.0)
    np.testing.assert_allclose(x.numpy(), np.ones(6), atol=1e-2)


def test_reports_every_iteration_with_decreasing_loss():
    seen = []
    lbfgs.minimize(quadratic(np.full((4,), 0.7), np.arange(1, 5, dtype=np.float32)), np.zeros(4, np.float32), 12,
                   on_iteration=lambda x, total, terms: seen.append(float(total)))
    assert len(seen) == 12
    assert all(b <= a + 1e-6 for a, b in zip(seen, seen[1:]))


def test_lengthens_steps_that_are_too_short():
    # From far away on a flat quadratic the first step (1/255 of a pixel) is far too short;
    # the Wolfe search doubles it instead of crawling.
    seen = []
    lbfgs.minimize(quadratic(np.full((1, 4, 4, 3), 0.9), np.full((1, 4, 4, 3), 0.01)), np.zeros((1, 4, 4, 3)), 3,
                   on_iteration=lambda x, total, terms: seen.append(float(tf.reduce_max(x))))
    assert seen[0] > 0.1  # doubled from 1/255
    assert abs(seen[-1] - 0.9) < 1e-3
