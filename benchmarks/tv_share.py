"""Does a weight mean the same at every size? The share of total variation in the final loss, per size.

    python benchmarks/tv_share.py [--sizes=256,768] [--photo=tubingen] [--style=starry_night]
                                  [--out=benchmarks/results/tv_share.json]

Issue 13's goal: with the default weights, the share of TV in the final loss
differs by at most 0.10 between a 256 px and a 768 px run (with TV summed over
pixels, the old default, it was 0.37 against 0.89: the same flags smoothed a
large picture far more than a small one). One `kstyle.stylize` run per size
with the defaults (`hed` VGG16, all iterations), one after the other in one
process; the final step's weighted terms, as the run itself logs them. Per
layer, the style loss `E_l` (Gatys' formula, unweighted) of the photo (where
the run starts) and of the output, against the painting at the run's size:
where the style term's dependence on size comes from. Run it alone: it keeps
both cores busy (the 768 px run takes the most time).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def layer_losses(extractor, layers, painting, image):
    """`{layer: E_l}` of 0-255 `image` against 0-255 `painting`, Gatys' normalization, float32."""
    import tensorflow as tf

    from kstyle.perceptual import losses
    target = extractor(tf.constant(painting, tf.float32)[None])
    features = extractor(tf.constant(image, tf.float32)[None])
    result = {}
    for layer in layers:
        positions = losses.positions(features[layer])
        gram = losses.gram_matrix(features[layer], "gatys")
        goal = losses.gram_matrix(target[layer], "hw")[0] * positions[0]  # the painting's per-position Gram, at M
        result[layer] = round(float(losses.style_layer_loss(gram, goal, positions)[0]), 2)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,768")
    parser.add_argument("--photo", default="tubingen")
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "tv_share.json"))
    args = parser.parse_args()

    import numpy as np

    import kstyle
    from kstyle import images
    from kstyle.perceptual import vgg
    from kstyle.perceptual.options import PerceptualOptions

    photo = common.shared_image("content", f"{args.photo}.jpg")
    painting = common.shared_image("style", f"{args.style}.jpg")
    backbone = vgg.load_vgg16("hed")
    layers = PerceptualOptions().style_names
    extractor = vgg.feature_extractor(backbone.model, layers, precision="float32")
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "photo": args.photo,
               "style": args.style, "runs": {}}
    for size in (int(size) for size in args.sizes.split(",")):
        last = common.Recorder()
        started = time.perf_counter()
        output = kstyle.stylize(photo, painting, backbone=backbone, max_size=size, vgg_weights="hed",
                                callbacks=[last])
        logs = last.logs
        results["runs"][str(size)] = {
            "output": list(output.shape[:2]), "steps": last.steps, "seconds": round(time.perf_counter() - started, 1),
            **{term: round(logs[term], 3) for term in ("total", "style", "content", "tv")},
            "tv_share": round(logs["tv"] / logs["total"], 3)}
        scaled_painting = images.resize_longest(images.read_image(painting), size)
        start = images.resize(images.read_image(photo), *output.shape[:2])
        results["runs"][str(size)]["style_per_layer"] = {
            "photo": layer_losses(extractor, layers, scaled_painting, start),
            "output": layer_losses(extractor, layers, scaled_painting, np.asarray(output, np.float32))}
        print(size, results["runs"][str(size)], flush=True)
    shares = [run["tv_share"] for run in results["runs"].values()]
    results["share_spread"] = round(max(shares) - min(shares), 3)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
