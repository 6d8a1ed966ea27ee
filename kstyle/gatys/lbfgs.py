"""L-BFGS that keeps the image on the device, for pixels bounded to [0, 1].

A textbook limited-memory BFGS (Nocedal & Wright, algorithm 7.4): the two-loop
recursion over the last `history` steps gives the direction, and the image is
projected onto the pixel box after each step. The line search is Lewis &
Overton's weak-Wolfe bisection and doubling: it lengthens steps that are too
short as well as shortening those that are too long, which a backtracking-only
search never does, and it stays robust where the objective is not smooth
(total variation's absolute values). The history stays on the device, so on a
GPU nothing but a few scalars crosses to the host. BENCHMARKS.md compares it
with SciPy's L-BFGS-B, whose bound handling alone costs about a fifth of a
VGG16 pass per iteration at 384 px on a CPU, for the same progress per
iteration.
"""

import tensorflow as tf

HISTORY = 20
ARMIJO = 1e-4     # sufficient decrease (Wolfe's c1)
CURVATURE = 0.9   # weak curvature condition (Wolfe's c2)
MAX_TRIALS = 20


class _History:
    """The last `size` (step, gradient change) pairs, newest last, as tensors on the device.

    The two-loop recursion runs as eager operations on these tensors: measured,
    this beats stacking them for a `tf.function` (a copy per iteration) and a
    variable ring buffer (reads inside a loop copy the buffer).
    """

    def __init__(self, size):
        self.size = size
        self.pairs = []

    def clear(self):
        self.pairs = []

    def push(self, step, change):
        self.pairs = (self.pairs + [(step, change, 1.0 / tf.reduce_sum(step * change))])[-self.size:]

    def direction(self, gradient):
        """Returns -H g, with H the L-BFGS inverse-Hessian estimate (-g with no history)."""
        q = gradient
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * tf.reduce_sum(s * q)
            q = q - alpha * y
            alphas.append(alpha)
        if self.pairs:  # Shanno-Phua scaling of the initial inverse Hessian.
            s, y, _ = self.pairs[-1]
            q = q * (tf.reduce_sum(s * y) / tf.reduce_sum(y * y))
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            q = q + (alpha - rho * tf.reduce_sum(y * q)) * s
        return -q


def minimize(evaluate, x0, iterations, *, history=HISTORY, lower=0.0, upper=1.0, on_iteration=None):
    """Minimizes `evaluate` over `x` in the box [lower, upper].

    Args:
        evaluate: `x -> (total, terms, gradient)`, tensors shaped like `x`.
        x0: the starting point (clipped into the box).
        iterations: the number of iterations (each one or more evaluations).
        history: how many (step, gradient change) pairs to remember.
        on_iteration: called as `on_iteration(x, total, terms)` after each.

    Returns:
        `(x, evaluations)`.
    """
    x = tf.clip_by_value(tf.convert_to_tensor(x0, tf.float32), lower, upper)
    memory = _History(history)
    total, terms, gradient = evaluate(x)
    evaluations = 1
    for _ in range(iterations):
        direction = memory.direction(gradient)
        if not float(tf.reduce_sum(direction * gradient)) < 0.0:  # Not a descent direction: start over.
            memory.clear()
            direction = -gradient
        # Without history, scale the step so the largest pixel moves by 1/255; Wolfe lengthens it if need be.
        size = 1.0 if memory.pairs else 1.0 / (255.0 * max(float(tf.reduce_max(tf.abs(direction))), 1e-12))
        shorter, longer = 0.0, float("inf")
        for _ in range(MAX_TRIALS):
            candidate = tf.clip_by_value(x + size * direction, lower, upper)
            new_total, new_terms, new_gradient = evaluate(candidate)
            evaluations += 1
            step = candidate - x
            slope = float(tf.reduce_sum(gradient * step))
            if float(new_total) > float(total) + ARMIJO * min(slope, 0.0):
                longer = size  # too long: not enough decrease
            elif float(tf.reduce_sum(new_gradient * step)) < CURVATURE * slope:
                shorter = size  # too short: still going steeply down
            else:
                break
            size = (shorter + longer) / 2.0 if longer < float("inf") else 2.0 * size
        if float(new_total) > float(total):
            break  # No decrease found in MAX_TRIALS: converged as far as float32 allows.
        change = new_gradient - gradient
        if float(tf.reduce_sum(step * change)) > 1e-10 * float(tf.reduce_sum(change * change)):
            memory.push(step, change)
        x, total, terms, gradient = candidate, new_total, new_terms, new_gradient
        if on_iteration is not None:
            on_iteration(x, total, terms)
    return x, evaluations
