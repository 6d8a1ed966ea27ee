"""How large `kstyle stylize` goes on this machine: peak memory and time per size, tiled and not.

1. Peak resident memory and seconds per L-BFGS iteration of a real `kstyle stylize` (default
   options, `hed` weights, 4 iterations, one scale) at each size; the loss is tiled automatically
   above 2048x2048 pixels (`--tile_size` default), and 2048 is also run with 1024 px tiles.
2. Tiled against untiled at 1024 px, in one process: the loss and gradient of one evaluation
   (relative differences) and the time of each.
3. A complete print-size run: `--max_size=2048 --scales=3 --iterations=100`, wall time and peak
   memory; its result, reduced, beside a crop at full resolution, is README's picture
   (`--picture`, docs/print_size.jpg).

    python benchmarks/print_size.py [--sizes=256,512,1024,2048,4096] [--skip_comparison] [--skip_full_run]
                                    [--picture=docs/print_size.jpg]
"""

import argparse
import csv
import datetime
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def stylize(size, extra=(), iterations=4):
    """Runs `kstyle stylize`; returns exit status, peak MiB, wall seconds, seconds/iteration, pixels."""
    directory = tempfile.mkdtemp()
    out, log = os.path.join(directory, "out.png"), os.path.join(directory, "loss.csv")
    command = [sys.executable, "-m", "kstyle", "stylize", "--vgg_weights=hed", f"--max_size={size}",
               f"--iterations={iterations}", f"--content={common.shared_image('content', 'tubingen.jpg')}",
               f"--style={common.shared_image('style', 'starry_night.jpg')}", f"--output={out}",
               f"--loss_log={log}", *extra]
    started = time.perf_counter()
    status, mib = common.peak_rss_of(command)
    wall = time.perf_counter() - started
    row = {"size": size, "flags": " ".join(extra), "exit": status, "peak_rss_mib": round(mib),
           "wall_seconds": round(wall, 1), "image": out}
    if status == 0:
        with open(log) as file:
            rows = list(csv.DictReader(file))
        last = rows[-1]
        # Iterations after the first (which includes one-off set-up of the graph's kernels).
        row["seconds_per_iteration"] = round((float(last["seconds"]) - float(rows[0]["seconds"]))
                                             / max(1, len(rows) - 1), 2)
        row["loop_seconds"] = round(float(last["seconds"]), 1)
        from PIL import Image
        with Image.open(out) as image:
            row["output"] = f"{image.width}x{image.height}"
    return row


def tiled_against_untiled(size=1024, tile=512):
    """Loss and gradient of one evaluation at `size`, tiled and not; differences and times."""
    from kstyle import images
    from kstyle.gatys import optimize, tiling
    from kstyle.gatys.options import StylizeOptions
    from kstyle.gatys.plan import output_sizes
    from kstyle.perceptual import vgg
    from kstyle.perceptual.objective import Objective, StyleTarget, style_grams
    options = StylizeOptions.from_kwargs(max_size=size, precision="float32")
    content = images.read_image(common.shared_image("content", "tubingen.jpg"))
    content = images.resize(content, *output_sizes(content.shape, options)[-1])
    style = images.resize_longest(images.read_image(common.shared_image("style", "starry_night.jpg")), size)
    perceptual = options.perceptual
    extractor = vgg.feature_extractor(vgg.load_vgg16("hed").model, perceptual.layer_names, perceptual.pooling,
                                      "float32")
    grams = style_grams(extractor, style, perceptual.style_names)
    objective = Objective.from_options(extractor, [StyleTarget(grams)], perceptual)
    x = content[None] / 255.0
    whole = optimize.loss_and_gradient(objective, objective.content_features(content[None]))
    tiled = tiling.TiledEvaluator(objective, content, tile)
    (loss_a, _, grad_a), (loss_b, _, grad_b) = whole(x), tiled(x)
    grad_a, grad_b = np.asarray(grad_a), np.asarray(grad_b)
    return {
        "size": list(content.shape[:2]), "tile_size": tile,
        "loss_untiled": float(loss_a), "loss_tiled": float(loss_b),
        "loss_relative_difference": abs(float(loss_a) - float(loss_b)) / abs(float(loss_a)),
        "gradient_relative_difference": float(np.linalg.norm(grad_a - grad_b) / np.linalg.norm(grad_a)),
        "seconds_untiled": common.median_seconds(lambda: np.asarray(whole(x)[2]), 3)[0],
        "seconds_tiled": common.median_seconds(lambda: np.asarray(tiled(x)[2]), 3)[0],
    }


def picture(image_path, path, crop=(1240, 240, 1720, 720), height=480, gap=8):
    """Writes the print-size result reduced to `height`, beside `crop` of it at full resolution."""
    from PIL import Image

    from kstyle import images
    with Image.open(image_path) as image:
        whole = image.convert("RGB")
    reduced = whole.resize((round(whole.width * height / whole.height), height), Image.LANCZOS)
    detail = whole.crop(crop)
    sheet = Image.new("RGB", (reduced.width + gap + detail.width, height), "white")
    sheet.paste(reduced, (0, 0))
    sheet.paste(detail, (reduced.width + gap, 0))
    images.write_image(path, np.asarray(sheet))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512,1024,2048,4096")
    parser.add_argument("--skip_full_run", action="store_true")
    parser.add_argument("--skip_comparison", action="store_true")
    parser.add_argument("--out", default="benchmarks/results/print_size.json")
    parser.add_argument("--picture", default="docs/print_size.jpg", help="README's picture of the complete run")
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    results = {"date": datetime.date.today().isoformat(), "machine": common.machine(),
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv), "sizes": []}
    for size in (int(s) for s in args.sizes.split(",") if s):
        results["sizes"].append(stylize(size))
        print(results["sizes"][-1], flush=True)
        if size == 2048:
            results["sizes"].append(stylize(size, ["--tile_size=1024"]))
            print(results["sizes"][-1], flush=True)
    if not args.skip_comparison:
        results["tiled_against_untiled"] = tiled_against_untiled()
        print(results["tiled_against_untiled"], flush=True)
    if not args.skip_full_run:
        results["full_2048_run"] = stylize(2048, ["--scales=3"], iterations=100)
        if results["full_2048_run"]["exit"] == 0 and args.picture:
            picture(results["full_2048_run"]["image"], args.picture)
    common.report(results, args.out)


if __name__ == "__main__":
    main()
