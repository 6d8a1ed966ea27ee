"""kstyle's optimizer against the TensorFlow tutorial's, on the same objective, in one run.

(a) The tutorial's loop: Adam (lr 0.02, beta_1 0.99, epsilon 0.1), init content, one tf.function
    step per iteration (tape, gradient, apply, clip to [0, 1]), float32, 1000 iterations.
(b) kstyle's defaults: L-BFGS, precision=auto (bfloat16 on CPUs with AMX, float32 elsewhere).
(c) kstyle's L-BFGS in float32, to separate the optimizer's share from the precision's.
The objective is flags/tutorial.flags (TV summed over pixels, as the tutorial's) with style
weight 1, content weight 1e4, TV weight 1 (the tutorial's weights are tuned for VGG19 and make
TV dominate on VGG16). kstyle's iterates are saved every 10 steps and scored afterwards with the
exact float32 objective, so (b) is judged on the same loss as (a). Also: time per iteration
against a bare VGG16 forward+backward of the same size, and the peak memory of a real
`kstyle stylize` at 512 and 1024 px.

    python benchmarks/gatys_speed.py [--size=384] [--pair=tubingen:starry_night] [--overhead_only]
                                     [--out=benchmarks/results/gatys_speed.json]

(c) is not run where (b) is float32 already (no AMX).
"""

import argparse
import datetime
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

TUTORIAL = dict(style_layers="block1_conv1,block2_conv1,block3_conv1,block4_conv1,block5_conv1",
                content_layers="block5_conv2", gram_normalization="hw",
                style_weight=1.0, content_weight=1e4, tv_weight=1.0, tv_normalization="sum")
PAIR = "tubingen:starry_night"  # photo:painting in ../shared/images
LAYERS = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1", "block5_conv2"]


def build(size, backbone, precision="float32", pair=PAIR):
    """Returns (objective, content features, content image) of the benchmark at `size`, for `pair`'s images."""
    from kstyle import images
    from kstyle.gatys.options import StylizeOptions
    from kstyle.gatys.plan import output_sizes
    from kstyle.perceptual import vgg
    from kstyle.perceptual.objective import Objective, StyleTarget, style_grams
    options = StylizeOptions.from_kwargs(max_size=size, **TUTORIAL)
    photo, painting = pair.split(":")
    content = images.read_image(common.shared_image("content", f"{photo}.jpg"))
    content = images.resize(content, *output_sizes(content.shape, options)[-1])
    style = images.resize_longest(images.read_image(common.shared_image("style", f"{painting}.jpg")), size)
    extractor = vgg.feature_extractor(backbone.model, LAYERS, precision=precision)
    grams = style_grams(extractor, style, options.perceptual.style_names)
    objective = Objective.from_options(extractor, [StyleTarget(grams)], options.perceptual)
    return objective, objective.content_features(content[None]), content


def tutorial_adam(objective, features, content, iterations):
    """The tutorial's optimization loop, in its structure; returns (final loss, losses, times)."""
    import tensorflow as tf
    from kstyle.gatys import optimize
    image = tf.Variable(content[None] / 255.0)
    opt = tf.keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function()
    def train_step(image):
        with tf.GradientTape() as tape:
            loss, _ = objective(image * 255.0, features)
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0))
        return loss

    train_step.get_concrete_function(image)  # trace (and build Adam's slots) before the clock
    losses, times = [], []
    start = time.perf_counter()
    for _ in range(iterations):
        losses.append(float(train_step(image)))  # the loss before the update, as the tutorial logs it
        times.append(time.perf_counter() - start)
    final, _, _ = optimize.loss_and_gradient(objective, features)(tf.constant(image.numpy()))
    return float(final), losses, times


def kstyle_run(backbone, size, precision, iterations, exact, pair=PAIR):
    """Runs kstyle's L-BFGS at `precision`; returns [(step, seconds, exact loss)] and the evaluations."""
    import tensorflow as tf
    from kstyle.gatys import optimize
    objective, own_features, content = build(size, backbone, precision, pair)
    recorder = common.Recorder(every=10)
    result = optimize.optimize(optimize.loss_and_gradient(objective, own_features), content, optimizer="lbfgs",
                               iterations=iterations, callbacks=[recorder])
    scored = [(step, logs["seconds"], float(exact(tf.constant(image[None] / 255.0, tf.float32))[0]))
              for step, logs, _, image in recorder.snapshots]
    return scored, result.evaluations


def bare_vgg(backbone, shape, precision):
    """A forward+backward of the same truncated VGG16 with a trivial loss: `() -> None`, traced."""
    import tensorflow as tf
    from kstyle.perceptual import vgg
    extractor = vgg.feature_extractor(backbone.model, LAYERS, precision=precision)
    image = tf.constant(np.random.default_rng(0).uniform(0, 1, (1, *shape)).astype(np.float32))

    @tf.function
    def step(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.add_n([tf.reduce_sum(tf.cast(v, tf.float32)) for v in extractor(image * 255.0).values()])
        return tape.gradient(loss, image)

    return lambda: step(image).numpy()


def evaluation(backbone, size, precision):
    """One kstyle loss-and-gradient evaluation: `() -> None`."""
    from kstyle.gatys import optimize
    objective, features, content = build(size, backbone, precision)
    evaluate = optimize.loss_and_gradient(objective, features)
    x = content[None] / 255.0
    return lambda: evaluate(x)[2].numpy()


def overhead_of(backbone, size, shape, precisions, repeats=15):
    """`{precision: {bare, evaluation, ratios}}`: kstyle's evaluation against a bare VGG16.

    The two alternate call by call after two warm-up calls each, so a slow spell of the machine
    falls on both: medians of each, and the median of the per-pair ratios.
    """
    overhead = {}
    for chosen in sorted(precisions):
        runs = {"bare": bare_vgg(backbone, shape, chosen), "evaluation": evaluation(backbone, size, chosen)}
        times = {name: [] for name in runs}
        for run in list(runs.values()) * 2:
            run()
        for _ in range(repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        bare, evaluated = np.median(times["bare"]), np.median(times["evaluation"])
        overhead[chosen] = {"bare_vgg16_fwd_bwd_seconds": float(bare), "kstyle_evaluation_seconds": float(evaluated),
                            "evaluation_over_bare": float(evaluated / bare),
                            "median_pairwise_ratio": float(np.median(np.array(times["evaluation"]) /
                                                                     np.array(times["bare"]))),
                            "repeats": repeats}
    return overhead


def peak_memory(size):
    out = f"/tmp/kstyle-bench-{size}.png"
    command = [sys.executable, "-m", "kstyle", "stylize", "--vgg_weights=hed", f"--max_size={size}",
               "--iterations=3", f"--content={common.shared_image('content', 'tubingen.jpg')}",
               f"--style={common.shared_image('style', 'starry_night.jpg')}", f"--output={out}"]
    status, mib = common.peak_rss_of(command)
    return {"size": size, "exit": status, "peak_rss_mib": round(mib)}


def first_reaching(rows, target):
    return next(({"step": step, "seconds": seconds, "loss": loss} for step, seconds, loss in rows if loss <= target),
                None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--baseline_iterations", type=int, default=1000)
    parser.add_argument("--kstyle_iterations", type=int, default=1200)
    parser.add_argument("--float32_iterations", type=int, default=400)
    parser.add_argument("--pair", default=PAIR, help="photo:painting for the optimizer comparison")
    parser.add_argument("--memory_sizes", default="512,1024")
    parser.add_argument("--overhead_only", action="store_true",
                        help="only an evaluation against a bare VGG16 (minutes, not an hour); "
                             "lbfgs_iteration_over_bare is left out, as it needs the L-BFGS run")
    parser.add_argument("--out", default="benchmarks/results/gatys_speed.json")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)

    import tensorflow as tf
    from kstyle.gatys import optimize
    from kstyle.perceptual import precision, vgg
    backbone = vgg.load_vgg16("hed")
    default_precision = precision.resolve("auto")
    objective, features, content = build(args.size, backbone, pair=args.pair)
    exact = optimize.loss_and_gradient(objective, features)
    results = {"date": datetime.date.today().isoformat(), "machine": common.machine(),
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
               "size": list(content.shape[:2]), "pair": args.pair, "default_precision": default_precision}

    if args.overhead_only:
        results["overhead"] = overhead_of(backbone, args.size, content.shape, {"float32", default_precision})
        common.report(results, args.out)
        return
    final, losses, times = tutorial_adam(objective, features, content, args.baseline_iterations)
    results["a_tutorial_adam_float32"] = {
        "iterations": args.baseline_iterations, "final_loss": final, "seconds": times[-1],
        "seconds_per_iteration": times[-1] / args.baseline_iterations,
        "loss_at": {str(i): losses[i - 1] for i in (1, 100, 250, 500, 1000) if i <= len(losses)}}

    for key, chosen, iterations in (("b_kstyle_default", default_precision, args.kstyle_iterations),
                                    ("c_kstyle_float32", "float32", args.float32_iterations)):
        if key == "c_kstyle_float32" and default_precision == "float32":
            results[key] = "not run: (b) is float32 on this machine"
            continue
        rows, evaluations = kstyle_run(backbone, args.size, chosen, iterations, exact, args.pair)
        reached = first_reaching(rows, final)
        results[key] = {
            "precision": chosen, "iterations": iterations, "evaluations": evaluations,
            "seconds": rows[-1][1], "seconds_per_iteration": rows[-1][1] / rows[-1][0],
            "exact_loss_at": {str(step): loss for step, _, loss in rows if step % 100 == 0},
            "reached_baseline_final_loss": reached,
            "time_ratio_to_baseline": None if reached is None else reached["seconds"] / times[-1]}
        if reached is None:
            # Not reached: how long the baseline needed for the loss kstyle did reach.
            kstyle_best = rows[-1][2]
            baseline_step = next((i for i, loss in enumerate(losses) if loss <= kstyle_best), None)
            results[key]["baseline_seconds_to_kstyle_final_loss"] = (
                None if baseline_step is None else times[baseline_step])

    overhead = overhead_of(backbone, args.size, content.shape, {"float32", default_precision})
    for chosen, row in overhead.items():
        key = "b_kstyle_default" if chosen == default_precision else "c_kstyle_float32"
        row["lbfgs_iteration_over_bare"] = results[key]["seconds_per_iteration"] / row["bare_vgg16_fwd_bwd_seconds"]
    results["overhead"] = overhead
    results["peak_memory"] = [peak_memory(int(s)) for s in args.memory_sizes.split(",") if s]  # "" for none
    del tf
    common.report(results, args.out)


if __name__ == "__main__":
    main()
