"""How little of the default run reaches its quality? Quality against time for `kstyle.stylize` runs, in one process.

    python benchmarks/gatys_default.py [--size=512] [--pairs=tubingen:starry_night,chicago:wave]
                                       [--candidates=default,scales2,scales3] [--every=10]

Issue 13 asks for a default run at 512 px in at most 30 s wall on two cores
with the quality of the default as filed (300 L-BFGS iterations at one scale,
TV summed over pixels at weight 0.01): Gatys'
style loss against the painting and the block4_conv2 content loss against the
photo (`judge_networks.yardstick`, float32, the same for every run), each at
most 1.15x that default's, and no periodic artifacts. Each candidate runs to its
iteration count, with the photo and painting of each pair; every `--every`
iterations of its last scale the image is scored, with the wall time since the
call began (style targets and tracing included; the model is loaded once,
before, and its load time reported apart). The first candidate's final figures
are the reference; a candidate's answer is its first snapshot within 1.15x of
them on both losses.

Candidates (`--candidates`): `default` (one scale); `scales2`, `scales3`
(coarse to fine, `--iterations` at every scale); a name with `_tolN` stops each
scale on convergence at tolerance 10^-N (e.g. `scales2_tol3`), `_itN` runs N
iterations (at every scale), `_tvW` sets the TV weight, `_tvsum` sums TV over
pixels instead of averaging it (`default_tvsum_tv0.01` is the default as the
issue was filed, the reference it names), `_swW` the style weight, `_histN`
L-BFGS's history (20 pairs by default), `_precP` a spectral preconditioner
(`spectral_preconditioner`), and `colorinit` (in place of `default`) starts from
the photo with its colours' mean and covariance moved onto the painting's
(`kstyle.gatys.colors.match_colors`). `--reference=JSON` takes the reference
from an earlier run of this script (the runs are deterministic) instead of the
first candidate. Writes benchmarks/results/gatys_default.json. Run it alone: it
keeps both cores busy.
"""

import argparse
import json
import os
import sys
import time
from unittest import mock

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import judge_networks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOUND = 1.15


def candidate_options(name):
    """The options a candidate's name spells: `default`, `colorinit` or `scalesN`, then `_tolN`, `_itN`, `_tvW`,
    `_tvsum`, `_swW`, `_histN`, `_precP`."""
    keywords = {}
    for part in name.split("_"):
        if part.startswith("scales"):
            keywords["scales"] = int(part[len("scales"):])
        elif part.startswith("tol"):
            keywords["tolerance"] = 10.0 ** -int(part[len("tol"):])
        elif part.startswith("it"):
            keywords["iterations"] = int(part[len("it"):])
        elif part == "tvsum":
            keywords["tv_normalization"] = "sum"
        elif part.startswith("tv"):
            keywords["tv_weight"] = float(part[len("tv"):])
        elif part.startswith("hist"):
            keywords["history"] = int(part[len("hist"):])
        elif part.startswith("prec"):
            keywords["precondition"] = float(part[len("prec"):])
        elif part.startswith("sw"):
            keywords["style_weight"] = float(part[len("sw"):])
        elif part == "colorinit":
            keywords["colorinit"] = True
        elif part != "default":
            sys.exit(f"unknown candidate part {part!r} in {name!r}")
    return keywords


def spectral_preconditioner(height, width, power):
    """`q -> M q` for L-BFGS: the image's DCT weighted by (f_max / f)^power, lowest weight 1.

    With power 2 this is the linear equivalent of optimizing a decorrelated
    (1/f) or Laplacian-pyramid parameterization of the image: low frequencies
    move that much further per step. The DCT is orthonormal, so M is symmetric
    positive definite, with mirrored edges rather than wrapped ones.
    """
    import tensorflow as tf

    def dct2(q, inverse=False):
        transform = tf.signal.idct if inverse else tf.signal.dct
        q = tf.transpose(q, [0, 3, 1, 2])  # the DCT runs over the last axis: rows, then columns
        q = tf.linalg.matrix_transpose(transform(q, type=2, norm="ortho"))
        q = tf.linalg.matrix_transpose(transform(q, type=2, norm="ortho"))
        return tf.transpose(q, [0, 2, 3, 1])

    frequency = np.hypot(np.arange(height)[:, None] / (2.0 * height), np.arange(width)[None, :] / (2.0 * width))
    weight = (0.5 / np.maximum(frequency, 0.5 / max(height, width))) ** power
    weight = tf.constant((weight / weight.min())[None, :, :, None], tf.float32)
    return lambda q: dct2(weight * dct2(q), inverse=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--pairs", default="tubingen:starry_night,chicago:wave")
    parser.add_argument("--candidates", default="default,scales2,scales3")
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--reference", default=None, help="an earlier results file whose pairs' references to use")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "gatys_default.json"))
    args = parser.parse_args()

    import kstyle
    from kstyle import images, periodicity
    from kstyle.gatys import colors, optimize, plan
    from kstyle.perceptual import vgg

    minimize = optimize.lbfgs.minimize

    def tuned(history, power):
        """`lbfgs.minimize` with the candidate's history length and preconditioner, in place of the defaults."""
        def run(evaluate, x0, iterations, **keywords):
            if history is not None:
                keywords["history"] = history
            if power is not None:
                keywords["precondition"] = spectral_preconditioner(x0.shape[1], x0.shape[2], power)
            return minimize(evaluate, x0, iterations, **keywords)
        return run

    def color_start(init, content, style, seed, image=None):
        return colors.match_colors(content, style)  # the photo in the painting's colours

    started = time.perf_counter()
    backbone = vgg.load_vgg16("hed")
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "size": args.size, "bound": BOUND,
               "model_load_seconds": round(time.perf_counter() - started, 1), "pairs": {}}
    for pair in args.pairs.split(","):
        photo_name, style_name = pair.split(":")
        photo_path = common.shared_image("content", f"{photo_name}.jpg")
        painting_path = common.shared_image("style", f"{style_name}.jpg")
        measure = judge_networks.yardstick(backbone, images.read_image(painting_path), args.size)
        photo = images.read_image(photo_path)
        runs, reference = {}, None
        if args.reference:
            with open(args.reference) as file:
                reference = json.load(file)["pairs"][pair]["reference"]
        for name in args.candidates.split(","):
            options = candidate_options(name)
            keywords = {key: value for key, value in options.items()
                        if key not in ("history", "colorinit", "precondition")}
            # The history, a preconditioner and a colour-matched start are not options of `kstyle.stylize`:
            # the optimizer or the start image is replaced for the run (and put back even if it fails).
            optimizer = tuned(options.get("history"), options.get("precondition"))
            start = color_start if options.get("colorinit") else plan.initial_image
            snapshots = common.Recorder(args.every)
            with mock.patch.object(optimize.lbfgs, "minimize", optimizer), mock.patch.object(plan, "initial_image",
                                                                                             start):
                output = kstyle.stylize(photo_path, painting_path, backbone=backbone, max_size=args.size,
                                        vgg_weights="hed", callbacks=[snapshots], **keywords)
            seconds = time.perf_counter() - snapshots.started
            scaled = images.resize(photo, *output.shape[:2])
            curve = []
            for step, _, at, image in snapshots.snapshots + [(snapshots.steps, None, seconds, output)]:
                style, content = measure(np.asarray(image, np.float32), scaled)
                curve.append({"step": step, "seconds": round(at, 1), "style": style, "content": content})
            if reference is None:  # no --reference: the first candidate's final figures are the yardstick's reference
                reference = curve[-1]
            for point in curve:
                point["style_ratio"] = round(point["style"] / reference["style"], 3)
                point["content_ratio"] = round(point["content"] / reference["content"], 3)
            good = next((point for point in curve
                         if point["style_ratio"] <= BOUND and point["content_ratio"] <= BOUND), None)
            runs[name] = {"options": options, "seconds": round(seconds, 1),
                          "steps": snapshots.steps, "periodic": periodicity.strongest_peak(output).score,
                          "first_within_bound": good, "curve": curve, "losses": snapshots.losses}
            print(pair, name, {key: runs[name][key] for key in ("seconds", "steps", "periodic",
                                                                "first_within_bound")}, flush=True)
        results["pairs"][pair] = {"reference": reference, "runs": runs}
    common.report(results, args.out)


if __name__ == "__main__":
    main()
