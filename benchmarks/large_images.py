"""What the largest photos cost: a camera's 24 MP through `kstyle transform`, a full-budget served request.

    python benchmarks/large_images.py [--model=starry_night] [--photo=6000x4000] [--served=4096x4096]

Each case runs in a child process, so an abort (std::bad_alloc is a signal, not an exception) is seen
as one, and its peak resident memory (the child's ru_maxrss) is its own:

* `transform`: `kstyle transform` on a generated photo of `--photo` pixels (a smooth gradient with
  texture, so nothing compresses away), written to a temporary PNG; wall time and peak memory of
  the whole command, reading and writing included;
* `served`: the network exported with the default budget, loaded the way TF Serving loads it (a TF1
  session over the MetaGraph) and sent one uint8 image of `--served` pixels, the export's default
  per-image limit, through `serving_default`; time of that request and peak memory of the process;
* `one_piece`: as `transform`, but painted in one piece (`kstyle.feedforward.tiling.ONE_PIECE_PIXELS`
  raised above the photo), what painting in strips saves.

Writes benchmarks/results/large_images.json. Run it alone: it keeps both cores busy.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def photo(width, height, seed=0):
    """A uint8 test photo: gradients, a few discs and noise, like a picture and nothing like a flat fill."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([255 * columns / width, 255 * rows / height, 128 + 60 * np.sin(columns / 37 + rows / 53)], -1)
    for _ in range(12):
        y, x, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(0.02, 0.2) * min(height, width)
        image[(rows - y) ** 2 + (columns - x) ** 2 < r * r] = rng.uniform(0, 255, 3)
    image += rng.normal(0, 8, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def child(args):
    """Runs one case in this (child) process."""
    from kstyle.cli import main as cli
    if args.case == "one_piece":
        from kstyle.feedforward import tiling
        tiling.ONE_PIECE_PIXELS = 1 << 40
    if args.case in ("transform", "one_piece"):
        status = cli.main(["kstyle", "transform", f"--model={args.model}", f"--input={args.input}",
                           f"--output={args.output}"])
        sys.exit(status)
    import tensorflow as tf

    from kstyle.feedforward import apply
    from kstyle.serving import savedmodel
    network, weights = apply.load_with_weights(args.model)
    version = savedmodel.export(network, os.path.join(tempfile.mkdtemp(), "m"), style_weights=weights)
    width, height = (int(side) for side in args.served.split("x"))
    image = photo(width, height)[None]
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        meta_graph = tf.compat.v1.saved_model.loader.load(session, ["serve"], version)
        definition = meta_graph.signature_def["serving_default"]
        feed = {definition.inputs["image"].name: image}
        fetch = definition.outputs["stylized_image"].name
        session.run(fetch, {definition.inputs["image"].name: image[:, :64, :64]})  # warm-up
        started = time.perf_counter()
        output = session.run(fetch, feed)
        print(f"served {output.shape} in {time.perf_counter() - started:.1f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="starry_night")
    parser.add_argument("--photo", default="6000x4000")
    parser.add_argument("--served", default="4096x4096")
    parser.add_argument("--cases", default="transform,served,one_piece")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "large_images.json"))
    parser.add_argument("--case", help=argparse.SUPPRESS)  # the child's
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        return child(args)

    from PIL import Image
    work = tempfile.mkdtemp(prefix="kstyle-large-")
    width, height = (int(side) for side in args.photo.split("x"))
    source = os.path.join(work, "photo.png")
    Image.fromarray(photo(width, height)).save(source)
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "model": args.model,
               "photo": args.photo, "served": args.served, "cases": {}}
    for case in args.cases.split(","):
        command = [sys.executable, __file__, f"--case={case}", f"--model={args.model}", f"--input={source}",
                   f"--output={os.path.join(work, case + '.png')}", f"--served={args.served}"]
        started = time.perf_counter()
        status, peak = common.peak_rss_of(command)
        seconds = time.perf_counter() - started
        outcome = "ok" if status == 0 else (f"killed by signal {-status}" if status < 0 else f"exit {status}")
        results["cases"][case] = {"outcome": outcome, "seconds": round(seconds, 1), "peak_gib": round(peak / 1024, 2)}
        print(case, results["cases"][case], flush=True)
        if case == "one_piece" and status == 0 and "transform" in results["cases"]:
            strips = np.asarray(Image.open(os.path.join(work, "transform.png")), np.int16)
            whole = np.asarray(Image.open(os.path.join(work, "one_piece.png")), np.int16)
            results["cases"][case]["max_difference_from_strips"] = int(np.abs(strips - whole).max())
    common.report(results, args.out)


if __name__ == "__main__":
    main()
