"""Which L-BFGS for kstyle: SciPy's L-BFGS-B, or kstyle.lbfgs, which keeps tensors on the device?

Both minimize the gatys_speed benchmark's objective (float32) from the same start for the same
number of iterations, in one run, and SciPy's bounded optimizer is also timed on its own (a cheap
quadratic of the same size) to isolate its per-iteration cost. (tensorflow-probability's L-BFGS
is not an option: it pulls in Keras 2.)

    python benchmarks/lbfgs_choice.py [--size=384] [--iterations=200]
"""

import argparse
import datetime
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
import gatys_speed  # noqa: E402


def scipy_lbfgsb(evaluate, x0, iterations, history=20):
    """SciPy's L-BFGS-B with the pixel bounds; returns rows (iteration, seconds, loss) and evaluations."""
    import scipy.optimize
    import tensorflow as tf
    rows, last, count = [], {}, [0]
    start = time.perf_counter()

    def loss(x):
        total, _, gradient = evaluate(tf.constant(x.reshape(x0.shape), tf.float32))
        last["total"] = float(total)
        count[0] += 1
        return last["total"], gradient.numpy().ravel().astype(np.float64)

    def after_iteration(intermediate_result):
        rows.append((len(rows) + 1, time.perf_counter() - start, last["total"]))

    scipy.optimize.minimize(loss, x0.ravel().astype(np.float64), jac=True, method="L-BFGS-B",
                            bounds=scipy.optimize.Bounds(0.0, 1.0), callback=after_iteration,
                            options={"maxiter": iterations, "maxcor": history, "ftol": 0.0, "gtol": 0.0,
                                     "maxfun": 3 * iterations})
    return rows, count[0]


def kstyle_lbfgs(evaluate, x0, iterations):
    from kstyle.gatys import lbfgs
    rows = []
    start = time.perf_counter()
    outcome = lbfgs.minimize(
        evaluate, x0, iterations,
        on_iteration=lambda done: rows.append((len(rows) + 1, time.perf_counter() - start, float(done.total))))
    return rows, outcome.evaluations


def scipy_own_cost(shape, iterations=30):
    """Seconds per iteration of SciPy's L-BFGS-B itself, on a quadratic that costs nothing to evaluate."""
    import scipy.optimize
    weights = np.random.default_rng(0).uniform(0.5, 2.0, int(np.prod(shape)))

    def quadratic(x):
        r = x - 0.5
        return float((weights * r * r).sum()), 2.0 * weights * r

    start = time.perf_counter()
    result = scipy.optimize.minimize(quadratic, np.random.default_rng(1).uniform(0, 1, weights.size), jac=True,
                                     method="L-BFGS-B", bounds=scipy.optimize.Bounds(0.0, 1.0),
                                     options={"maxiter": iterations, "maxcor": 20, "ftol": 0.0, "gtol": 0.0})
    return (time.perf_counter() - start) / result.nit


def kstyle_own_cost(shape, iterations=30):
    """Seconds per iteration of kstyle.lbfgs itself on the same quadratic."""
    import tensorflow as tf
    from kstyle.gatys import lbfgs
    weights = tf.constant(np.random.default_rng(0).uniform(0.5, 2.0, shape), tf.float32)

    @tf.function
    def quadratic(x):
        r = x - 0.5
        return tf.reduce_sum(weights * r * r), {}, 2.0 * weights * r

    x0 = np.random.default_rng(1).uniform(0, 1, shape).astype(np.float32)
    lbfgs.minimize(quadratic, x0, 3)
    start = time.perf_counter()
    lbfgs.minimize(quadratic, x0, iterations)
    return (time.perf_counter() - start) / iterations


def summary(rows, evaluations, checkpoints):
    def at(i):
        return rows[min(i, len(rows)) - 1]
    return {"evaluations": evaluations, "seconds": rows[-1][1], "seconds_per_iteration": rows[-1][1] / len(rows),
            "loss_at": {str(i): at(i)[2] for i in checkpoints}, "seconds_at": {str(i): at(i)[1] for i in checkpoints}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--out", default="benchmarks/results/lbfgs_choice.json")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)

    from kstyle.gatys import optimize
    from kstyle.perceptual import vgg
    objective, features, content = gatys_speed.build(args.size, vgg.load_vgg16("hed"))
    evaluate = optimize.loss_and_gradient(objective, features)
    x0 = (content[None] / 255.0).astype(np.float32)
    evaluate(x0)  # trace once for both
    checkpoints = [25, 50, 100, args.iterations]
    results = {"date": datetime.date.today().isoformat(), "machine": common.machine(),
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv), "size": list(content.shape[:2])}
    results["scipy_lbfgsb"] = summary(*scipy_lbfgsb(evaluate, x0, args.iterations), checkpoints)
    results["kstyle_lbfgs"] = summary(*kstyle_lbfgs(evaluate, x0, args.iterations), checkpoints)
    results["optimizer_own_seconds_per_iteration"] = {"scipy_lbfgsb": scipy_own_cost(x0.shape),
                                                      "kstyle_lbfgs": kstyle_own_cost(x0.shape)}
    common.report(results, args.out)


if __name__ == "__main__":
    main()
