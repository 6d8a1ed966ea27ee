"""What L-BFGS's memory costs per iteration: the compact direction against the two-loop recursion.

    python benchmarks/lbfgs_history.py [--size=512x384] [--pairs=20,100] [--repeats=7]

`kstyle.gatys.lbfgs._History` computes the direction with Byrd, Nocedal &
Schnabel's compact form (four matrix-vector products over the history). Before
2026-12-07 it ran the textbook two-loop recursion as eager element-wise
operations (`two_loop` below, that code as it was). For each history length,
both are filled with the same random pairs of an RGB image's size; this times
the direction (median of `--repeats`) and the push of one more pair, and checks
that the two directions agree. Writes benchmarks/results/lbfgs_history.json.
Run it alone: it keeps both cores busy.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def two_loop(pairs, gradient):
    """The direction as `_History` computed it before: Nocedal & Wright's algorithm 7.4, eager operations."""
    import tensorflow as tf
    q, alphas = gradient, []
    for s, y, rho in reversed(pairs):
        alpha = rho * tf.reduce_sum(s * q)
        q = q - alpha * y
        alphas.append(alpha)
    s, y, _ = pairs[-1]
    q = q * (tf.reduce_sum(s * y) / tf.reduce_sum(y * y))
    for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
        q = q + (alpha - rho * tf.reduce_sum(y * q)) * s
    return -q


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="512x384")
    parser.add_argument("--pairs", default="20,100")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "lbfgs_history.json"))
    args = parser.parse_args()
    import tensorflow as tf

    from kstyle.gatys import lbfgs

    width, height = (int(side) for side in args.size.split("x"))
    shape = [1, height, width, 3]
    rng = np.random.default_rng(0)
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "size": args.size,
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv), "runs": {}}
    for count in (int(n) for n in args.pairs.split(",")):
        history, pairs = lbfgs._History(count), []
        for _ in range(count + 1):
            s = rng.normal(size=shape).astype(np.float32)
            y = (s * rng.uniform(0.5, 2.0, size=shape) + 0.1 * rng.normal(size=shape)).astype(np.float32)
            s, y = tf.constant(s), tf.constant(y)
            history.push(s, y)
            pairs = (pairs + [(s, y, 1.0 / tf.reduce_sum(s * y))])[-count:]
        gradient = tf.constant(rng.normal(size=shape).astype(np.float32))
        compact, textbook = history.direction(gradient), two_loop(pairs, gradient)
        agreement = float(tf.norm(compact - textbook) / tf.norm(textbook))
        direction, _ = common.median_seconds(lambda: history.direction(gradient).numpy(), args.repeats)
        before, _ = common.median_seconds(lambda: two_loop(pairs, gradient).numpy(), args.repeats)
        push, _ = common.median_seconds(lambda: history.push(s, y), args.repeats)
        results["runs"][str(count)] = {"compact_direction_seconds": round(direction, 4),
                                       "two_loop_direction_seconds": round(before, 4),
                                       "compact_push_seconds": round(push, 4),
                                       "ratio_compact_with_push_to_two_loop": round((direction + push) / before, 3),
                                       "relative_difference": agreement}
        print(count, results["runs"][str(count)], flush=True)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
