"""Does a weight mean the same at every size? The share of total variation in the final loss, per size.

    python benchmarks/tv_share.py [--sizes=256,768] [--photo=tubingen] [--style=starry_night]
                                  [--targets_only] [--tv_weight=W] [--images=DIR]
                                  [--out=benchmarks/results/tv_share.json]

Issue 13's goal: with the default weights, the share of TV in the final loss
differs by at most 0.10 between a 256 px and a 768 px run (with TV summed over
pixels, the old default, it was 0.37 against 0.89: the same flags smoothed a
large picture far more than a small one). One `kstyle.stylize` run per size
with the defaults (`hed` VGG16, all iterations), one after the other in one
process; the final step's weighted terms, as the run itself logs them. Per
layer and size, where the style term's dependence on size comes from: the
painting's own Gram energy `sum(A^2) / (4 N^2)` (A per position), and the style
loss `E_l` (Gatys' formula, unweighted) of the photo (where the run starts) and
of the output against the painting at that size. `--targets_only` measures the
painting and the photo alone, in seconds, without the runs. Run it alone: it
keeps both cores busy (the 768 px run takes the most time).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def painting_targets(extractor, layers, painting):
    """`{layer: A}` for 0-255 `painting`, A its per-position Gram (`hw`), from one VGG16 pass."""
    import tensorflow as tf

    from kstyle.perceptual import losses
    features = extractor(tf.constant(painting, tf.float32)[None])
    return {layer: losses.gram_matrix(features[layer], "hw")[0] for layer in layers}


def layer_losses(extractor, targets, image):
    """`{layer: E_l}` of 0-255 `image` against the painting's `targets`, Gatys' normalization, float32."""
    import tensorflow as tf

    from kstyle.perceptual import losses
    features = extractor(tf.constant(image, tf.float32)[None])
    result = {}
    for layer, per_position in targets.items():
        positions = losses.positions(features[layer])
        gram = losses.gram_matrix(features[layer], "gatys")
        goal = per_position * positions[0]  # the painting's per-position Gram, at this image's M
        result[layer] = round(float(losses.style_layer_loss(gram, goal, positions)[0]), 2)
    return result


def gram_energy(targets):
    """`{layer: sum(A^2) / (4 N^2)}` of the painting's per-position Grams: the size of its style figures."""
    import tensorflow as tf

    return {layer: round(float(tf.reduce_sum(tf.square(gram)) / (4.0 * float(gram.shape[-1]) ** 2)), 2)
            for layer, gram in targets.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,768")
    parser.add_argument("--photo", default="tubingen")
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--targets_only", action="store_true", help="the painting and the photo only, no runs")
    parser.add_argument("--tv_weight", type=float, default=None, help="TV weight of the runs (default: kstyle's)")
    parser.add_argument("--images", default="", help="a folder to write each run's output to, SIZE.png")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "tv_share.json"))
    args = parser.parse_args()

    import numpy as np

    import kstyle
    from kstyle import images, periodicity
    from kstyle.perceptual import losses, vgg
    from kstyle.perceptual.options import PerceptualOptions

    photo = common.shared_image("content", f"{args.photo}.jpg")
    painting = common.shared_image("style", f"{args.style}.jpg")
    backbone = vgg.load_vgg16("hed")
    layers = PerceptualOptions().style_names
    extractor = vgg.feature_extractor(backbone.model, layers, precision="float32")
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "photo": args.photo,
               "style": args.style, "tv": common.tv_settings(args.tv_weight), "runs": {}}
    photo_image, painting_image = images.read_image(photo), images.read_image(painting)
    for size in (int(size) for size in args.sizes.split(",")):
        targets = painting_targets(extractor, layers, images.resize_longest(painting_image, size))
        entry = results["runs"][str(size)] = {
            "painting_gram_energy": gram_energy(targets),
            "photo_style_per_layer": layer_losses(extractor, targets, images.resize_longest(photo_image, size))}
        if args.targets_only:
            print(size, entry, flush=True)
            continue
        last = common.Recorder()
        started = time.perf_counter()
        weights = {} if args.tv_weight is None else {"tv_weight": args.tv_weight}
        output = kstyle.stylize(photo, painting, backbone=backbone, max_size=size, vgg_weights="hed",
                                callbacks=[last], **weights)
        if args.images:
            os.makedirs(args.images, exist_ok=True)
            images.write_image(os.path.join(args.images, f"{size}.png"), output)
        logs = last.logs
        entry.update({
            "output": list(output.shape[:2]), "steps": last.steps, "seconds": round(time.perf_counter() - started, 1),
            **{term: round(logs[term], 3) for term in ("total", "style", "content", "tv")},
            "tv_share": round(logs["tv"] / logs["total"], 3),
            "periodic_score": round(periodicity.score(output), 1),
            "tv_per_pixel": round(float(losses.total_variation(np.asarray(output, np.float32)[None], "pixels")[0]), 3),
            "output_style_per_layer": layer_losses(extractor, targets, np.asarray(output, np.float32))})
        print(size, entry, flush=True)
    if not args.targets_only:
        shares = [run["tv_share"] for run in results["runs"].values()]
        results["share_spread"] = round(max(shares) - min(shares), 3)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
