"""L-BFGS that keeps the image on the device, for pixels bounded to [0, 1], and says why it stopped.

A textbook limited-memory BFGS (Nocedal & Wright, algorithm 7.4): the two-loop
recursion over the last `history` steps gives the direction, and the image is
projected onto the pixel box after each step. The line search is Lewis &
Overton's weak-Wolfe bisection and doubling: it lengthens steps that are too
short as well as shortening those that are too long, which a backtracking-only
search never does, and it stays robust where the objective is not smooth
(total variation's absolute values). The history stays on the device, so on a
GPU only scalars and vectors of one number per remembered pair cross to the
host. BENCHMARKS.md compares it
with SciPy's L-BFGS-B, whose bound handling alone costs about a fifth of a
VGG16 pass per iteration at 384 px on a CPU, for the same progress per
iteration.

It never fails silently. Descent is tested on the step as projected onto the
box, not on the raw direction. A line search that finds no decrease forgets
the history and tries the projected steepest descent before giving up. A loss
or gradient that is NaN or infinite is never accepted: the search shortens the
step, and a point that cannot be evaluated restarts from the last good one with
a fresh history, until `MAX_RESTARTS` in a row end the run with an `Error`.
`minimize` returns how many iterations ran and why it stopped.
"""

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg
import tensorflow as tf

from kstyle.errors import Error
from kstyle.gatys.memory import LBFGS_HISTORY

HISTORY = LBFGS_HISTORY  # pairs remembered; fewer at print sizes (kstyle.gatys.memory.history_pairs)
ARMIJO = 1e-4     # sufficient decrease (Wolfe's c1)
CURVATURE = 0.9   # weak curvature condition (Wolfe's c2)
MAX_TRIALS = 20
MAX_RESTARTS = 3  # non-finite evaluations in a row before giving up

# Why a run stopped, as `Outcome.reason` and the CLI say it.
ITERATIONS_DONE = "iterations done"
CONVERGED = "converged"
SETTLED = "image settled"
NO_DECREASE = "no decrease"
WINDOW = 10  # iterations a stop rule looks back over


class Iteration(NamedTuple):
    """What `minimize` tells `on_iteration` after each iteration.

    Attributes:
        x, total, terms: the accepted point, its loss and the loss's terms.
        evaluations: loss-and-gradient evaluations made so far, the start's included.
        change: the mean absolute change of `x`'s entries in this iteration.
    """
    x: tf.Tensor
    total: tf.Tensor
    terms: dict
    evaluations: int
    change: float


class Outcome(NamedTuple):
    """The result of `minimize`.

    Attributes:
        x: the best point found.
        evaluations: loss-and-gradient evaluations made.
        iterations: iterations completed (accepted steps).
        reason: `ITERATIONS_DONE`, `CONVERGED` (the loss fell by less than
            the tolerance over the window, see `Convergence`), `SETTLED` (the point
            moved less than `settle` per iteration over the window, see `Settling`)
            or `NO_DECREASE` (neither the quasi-Newton nor the steepest-descent step
            lowered the loss).
        restarts: times a non-finite loss or gradient sent it back to the last good point.
    """
    x: tf.Tensor
    evaluations: int
    iterations: int
    reason: str
    restarts: int


class _History:
    """The last `size` (step, gradient change) pairs, as two `[size, n]` buffers on the device.

    The direction comes from the compact representation of Byrd, Nocedal &
    Schnabel (1994, eq. 3.1, with the initial inverse Hessian gamma I): two
    matrix-vector products with the stored steps and two with the stored
    gradient changes, each one BLAS pass over the history, and `size` x `size`
    algebra on the host. It is the two-loop recursion's direction, reached
    without its 4 x `size` eager element-wise passes and their temporaries: with
    100 pairs at 512x384 on 2 CPU cores, 0.21 s an iteration, pushing the pair
    included, against 0.30 s (`benchmarks/lbfgs_history.py`); either is bound by
    memory bandwidth, so the cost grows with the pairs held. A `precondition`
    keeps the two-loop recursion, which applies any operator as the initial
    inverse Hessian.
    """

    def __init__(self, size, precondition=None):
        self.size = size
        self._operator = precondition  # None: the identity, and the compact form
        self._steps = self._changes = None  # [size, n] variables, one row per slot
        self._order = []  # the slots in use, oldest first
        self._sy = np.zeros((size, size))  # s_i . y_j by slot
        self._yy = np.zeros((size, size))  # y_i . y_j by slot

    @property
    def pairs(self):
        """How many pairs are remembered."""
        return len(self._order)

    def clear(self):
        self._order = []

    def precondition(self, q):
        """The initial inverse Hessian's operator applied to `q` (unscaled): `precondition`, or the identity."""
        return q if self._operator is None else self._operator(q)

    def push(self, step, change):
        """Remembers a pair, forgetting the oldest beyond `size`; `step . change` must be positive."""
        s, y = tf.reshape(step, [-1]), tf.reshape(change, [-1])
        if self._steps is None or self._steps.shape[1] != s.shape[0]:
            self._steps = tf.Variable(tf.zeros([self.size, s.shape[0]]), trainable=False)
            self._changes = tf.Variable(tf.zeros([self.size, s.shape[0]]), trainable=False)
            self._order = []
        free = [slot for slot in range(self.size) if slot not in self._order]
        slot = free[0] if free else self._order.pop(0)
        self._steps.scatter_update(tf.IndexedSlices(s[None], [slot]))
        self._changes.scatter_update(tf.IndexedSlices(y[None], [slot]))
        self._order.append(slot)
        steps, changes, used = self._filled()
        with_changes = tf.linalg.matmul(changes, tf.stack([s, y], axis=1)).numpy().astype(np.float64)
        self._sy[slot, :used] = with_changes[:, 0]  # s_new . y_j
        self._sy[:used, slot] = tf.linalg.matvec(steps, y).numpy()  # s_i . y_new
        self._yy[slot, :used] = self._yy[:used, slot] = with_changes[:, 1]

    def _filled(self):
        """The buffers' rows that hold pairs (slots fill from 0 up, so a prefix), and how many.

        A leading slice of a variable shares its memory, so a short history costs
        what it holds, not what it could.
        """
        used = max(self._order) + 1
        if used == self.size:
            return self._steps, self._changes, used
        return self._steps[:used], self._changes[:used], used

    def direction(self, gradient):
        """Returns -H g, with H the L-BFGS inverse-Hessian estimate (-g with no history)."""
        if not self._order:
            return -self.precondition(gradient)
        if self._operator is not None:
            return self._two_loop(gradient)
        order = np.array(self._order)
        steps, changes, used = self._filled()
        g = tf.reshape(gradient, [-1])
        a = tf.linalg.matvec(steps, g).numpy().astype(np.float64)[order]
        b = tf.linalg.matvec(changes, g).numpy().astype(np.float64)[order]
        sy, yy = self._sy[np.ix_(order, order)], self._yy[np.ix_(order, order)]
        gamma = sy[-1, -1] / yy[-1, -1]  # Shanno-Phua scaling of the initial inverse Hessian
        upper = np.triu(sy)
        p = scipy.linalg.solve_triangular(upper, a, lower=False)
        u = scipy.linalg.solve_triangular(upper, np.diag(sy) * p + gamma * (yy @ p) - gamma * b, trans="T")
        on_steps, on_changes = np.zeros(used), np.zeros(used)
        on_steps[order], on_changes[order] = u, -gamma * p
        product = (gamma * g + tf.linalg.matvec(steps, tf.constant(on_steps, tf.float32), transpose_a=True)
                   + tf.linalg.matvec(changes, tf.constant(on_changes, tf.float32), transpose_a=True))
        return -tf.reshape(product, tf.shape(gradient))

    def _two_loop(self, gradient):
        """Nocedal & Wright's algorithm 7.4 with `precondition` as the initial inverse Hessian."""
        shape = tf.shape(gradient)
        pairs = [(tf.reshape(self._steps[slot], shape), tf.reshape(self._changes[slot], shape),
                  1.0 / self._sy[slot, slot]) for slot in self._order]
        q = gradient
        alphas = []
        for s, y, rho in reversed(pairs):
            alpha = rho * tf.reduce_sum(s * q)
            q = q - alpha * y
            alphas.append(alpha)
        s, y, _ = pairs[-1]
        q = self.precondition(q) * (tf.reduce_sum(s * y) / tf.reduce_sum(y * self.precondition(y)))
        for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
            q = q + (alpha - rho * tf.reduce_sum(y * q)) * s
        return -q


class Convergence:
    """Says when a loss has stopped falling: by less than `tolerance` of itself over `window` iterations.

    Over a window, not one iteration: L-BFGS and Adam both take the odd short
    step well before they are done. A tolerance of 0 never says so.
    """

    def __init__(self, tolerance=0.0, window=WINDOW):
        self.tolerance, self.window, self.totals = float(tolerance), int(window), []

    def update(self, total):
        """Records an iteration's loss; True once the last `window` iterations lowered it too little."""
        if not self.tolerance:
            return False
        self.totals.append(float(total))
        if len(self.totals) <= self.window:
            return False
        earlier, latest = self.totals[-self.window - 1], self.totals[-1]
        return earlier - latest <= self.tolerance * abs(latest)


class Settling:
    """Says when a point has stopped moving: its mean change per iteration, over `window` of them, is below `threshold`.

    It watches the image, not the loss: what a user sees is the picture, and a
    loss can keep falling through changes too small to see. Over a window, as
    L-BFGS's steps vary in length from one iteration to the next. A threshold
    of 0 never says so.
    """

    def __init__(self, threshold=0.0, window=WINDOW):
        self.threshold, self.window, self.changes = float(threshold), int(window), []

    def update(self, change):
        """Records an iteration's mean absolute change; True once the last `window` averaged below the threshold."""
        if not self.threshold:
            return False
        self.changes.append(float(change))
        return len(self.changes) >= self.window and sum(self.changes[-self.window:]) < self.threshold * self.window


def minimize(evaluate, x0, iterations, *, history=HISTORY, lower=0.0, upper=1.0, tolerance=0.0, settle=0.0,
             window=WINDOW, on_iteration=None, precondition=None):
    """Minimizes `evaluate` over `x` in the box [lower, upper].

    Args:
        evaluate: `x -> (total, terms, gradient)`, tensors shaped like `x`.
        x0: the starting point (clipped into the box).
        iterations: the most iterations to run (each one or more evaluations).
        history: how many (step, gradient change) pairs to remember.
        tolerance, window: stop as `CONVERGED` once the last `window`
            iterations lowered the loss by less than `tolerance` of it (see
            `Convergence`); a tolerance of 0 never does.
        settle: stop as `SETTLED` once the mean absolute change of `x`'s
            entries, averaged over the last `window` iterations, is below this
            (see `Settling`); 0 never does.
        on_iteration: called with an `Iteration` after each.
        precondition: `q -> M q`, a symmetric positive definite operator used as
            the initial inverse Hessian (scaled as usual), where a problem's
            curvature is known to differ by direction; None is the identity. Tried
            on Gatys' objective as a spectral weighting and dropped (BENCHMARKS.md).

    Returns:
        An `Outcome`.

    Raises:
        Error: the loss or gradient is NaN or infinite at the start, or at
            every point tried for `MAX_RESTARTS` restarts in a row.
    """
    x = tf.clip_by_value(tf.convert_to_tensor(x0, tf.float32), lower, upper)
    memory = _History(history, precondition)
    convergence, settling = Convergence(tolerance, window), Settling(settle, window)
    total, terms, gradient = evaluate(x)
    evaluations, done, restarts, in_a_row, reason = 1, 0, 0, 0, ITERATIONS_DONE
    if not finite(total, gradient):
        raise Error("the loss or its gradient is NaN or infinite at the starting image; check the inputs and "
                    "the weights (a zero-size or constant style image, an extreme --style_weight)")
    while done < iterations:
        search = _line_search(evaluate, x, total, gradient, memory, lower, upper)
        evaluations += search.evaluations
        if search.status == _NOT_FINITE:
            restarts, in_a_row = restarts + 1, in_a_row + 1
            if in_a_row > MAX_RESTARTS:
                raise Error(f"the loss or its gradient stayed NaN or infinite after {MAX_RESTARTS} restarts "
                            f"from the last good image (iteration {done + 1}); try a lower --style_weight or "
                            "--precision=float32")
            memory.clear()  # start again from the last good point with a fresh history
            continue
        in_a_row = 0
        if search.status == _NO_DECREASE:
            if memory.pairs:  # the quasi-Newton model misled the search: try steepest descent before giving up
                memory.clear()
                continue
            reason = NO_DECREASE
            break
        change = search.gradient - gradient
        step = search.x - x
        if float(tf.reduce_sum(step * change)) > 1e-10 * float(tf.reduce_sum(change * change)):
            memory.push(step, change)
        x, total, terms, gradient = search.x, search.total, search.terms, search.gradient
        done += 1
        moved = float(tf.reduce_mean(tf.abs(step)))
        if on_iteration is not None:
            on_iteration(Iteration(x, total, terms, evaluations, moved))
        if convergence.update(total):
            reason = CONVERGED
            break
        if settling.update(moved):
            reason = SETTLED
            break
    return Outcome(x, evaluations, done, reason, restarts)


_ACCEPTED, _NO_DECREASE, _NOT_FINITE = "accepted", "no decrease", "not finite"


class _Search(NamedTuple):
    status: str
    evaluations: int
    x: tf.Tensor = None
    total: tf.Tensor = None
    terms: dict = None
    gradient: tf.Tensor = None


def _line_search(evaluate, x, total, gradient, memory, lower, upper):
    """One weak-Wolfe line search along the L-BFGS direction, projected onto the box.

    Descent is judged on the projected step (clipping can turn a descent
    direction uphill); if it is not one, the history is dropped for the
    projected steepest descent, and if that is not one either, no decrease is
    possible. A trial whose loss or gradient is not finite counts as too long.
    """
    direction = memory.direction(gradient)
    size = _first_size(memory, direction)
    if not _descends(x, direction, size, gradient, lower, upper):
        memory.clear()
        direction = -memory.precondition(gradient)
        size = _first_size(memory, direction)
        if not _descends(x, direction, size, gradient, lower, upper):
            return _Search(_NO_DECREASE, 0)
    shorter, longer, evaluations, not_finite, best = 0.0, float("inf"), 0, False, None
    for _ in range(MAX_TRIALS):
        candidate = tf.clip_by_value(x + size * direction, lower, upper)
        new_total, new_terms, new_gradient = evaluate(candidate)
        evaluations += 1
        step = candidate - x
        slope = float(tf.reduce_sum(gradient * step))
        if not finite(new_total, new_gradient):
            not_finite, longer = True, size  # off the loss's finite domain: too long
        elif float(new_total) > float(total) + ARMIJO * min(slope, 0.0):
            longer = size  # too long: not enough decrease
        else:
            found = _Search(_ACCEPTED, 0, candidate, new_total, new_terms, new_gradient)
            if float(tf.reduce_sum(new_gradient * step)) >= CURVATURE * slope:
                return found._replace(evaluations=evaluations)
            shorter = size  # too short: still going steeply down
            best = found if best is None or float(new_total) < float(best.total) else best
        size = (shorter + longer) / 2.0 if longer < float("inf") else 2.0 * size
    if best is not None and float(best.total) < float(total):  # Wolfe not met in time: take the best decrease
        return best._replace(evaluations=evaluations)
    return _Search(_NOT_FINITE if not_finite else _NO_DECREASE, evaluations)


def _first_size(memory, direction):
    # Without history, scale the step so the largest pixel moves by 1/255; Wolfe lengthens it if need be.
    return 1.0 if memory.pairs else 1.0 / (255.0 * max(float(tf.reduce_max(tf.abs(direction))), 1e-12))


def _descends(x, direction, size, gradient, lower, upper):
    step = tf.clip_by_value(x + size * direction, lower, upper) - x
    return float(tf.reduce_sum(gradient * step)) < 0.0


def finite(total, gradient):
    """True if the loss and every gradient entry are finite numbers."""
    return math.isfinite(float(total)) and bool(tf.reduce_all(tf.math.is_finite(gradient)))
