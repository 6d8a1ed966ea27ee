"""Does a masked two-style run keep the photo? Content loss of masked, blended and one-style runs, side by side.

    python benchmarks/masks.py [--size=256] [--iterations=100] [--photo=chicago] [--styles=starry_night,wave]
                               [--mask=halves|sky]

Issue 13's goal for `--style_masks`: with the default weights, a two-style masked
run keeps the photo's structure, its content loss at most 1.5x the unmasked run's.
Four runs of `kstyle.stylize` with the defaults but `--max_size` and
`--iterations`, from the same start, with the offline `hed` VGG16:

* `blended`: both paintings everywhere (their Grams averaged), no masks;
* `masked`: the first painting on the left half, the second on the right
  (`--mask=sky`: the first on the photo's sky, the second on the rest, with the
  mask of the README's picture, `docs/make_examples.py`'s `sky_mask`);
* `only_<style>`: each painting alone, for scale: a masked run paints each half
  with one painting, so these say how far each painting alone pulls the photo.

Each output is scored with the judge's yardstick (`judge_networks.yardstick`):
Gatys' block4_conv2 content loss against the photo at the same size. Writes
benchmarks/results/masks.json and docs/masks_benchmark.jpg (the photo and the
four outputs). Run it alone: it keeps both cores busy.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import judge_networks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--photo", default="chicago")
    parser.add_argument("--styles", default="starry_night,wave")
    parser.add_argument("--mask", choices=("halves", "sky"), default="halves")
    parser.add_argument("--out", default=None, help="default: benchmarks/results/masks.json, masks_sky.json, "
                        "masks_sky_wave_starry_night.json...")
    parser.add_argument("--picture", default=None, help="default: docs/masks_benchmark.jpg, masks_benchmark_sky.jpg...")
    args = parser.parse_args()
    # Each mask and order of paintings gets its own files, so runs of the others are kept.
    suffix = ("" if args.mask == "halves" else f"_{args.mask}") + (
        "" if args.styles == parser.get_default("styles") else "_" + args.styles.replace(",", "_"))
    args.out = args.out or os.path.join(ROOT, "benchmarks", "results", f"masks{suffix}.json")
    args.picture = args.picture or os.path.join(ROOT, "docs", f"masks_benchmark{suffix}.jpg")

    from PIL import Image

    import kstyle
    from kstyle import images
    from kstyle.perceptual import vgg

    photo_path = common.shared_image("content", f"{args.photo}.jpg")
    names = args.styles.split(",")
    if len(names) != 2:
        sys.exit("--styles: two paintings, one per half")
    paintings = [common.shared_image("style", f"{name}.jpg") for name in names]
    photo = images.resize_longest(images.read_image(photo_path), args.size)
    height, width = photo.shape[:2]
    backbone = vgg.load_vgg16("hed")
    measure = judge_networks.yardstick(backbone, images.read_image(paintings[0]), args.size)

    with tempfile.TemporaryDirectory() as directory:
        if args.mask == "sky":
            sys.path.insert(0, os.path.join(ROOT, "docs"))
            from make_examples import sky_mask
            left = images.to_uint8(images.resize(sky_mask(images.read_image(photo_path)).astype(np.float32),
                                                 height, width))
        else:
            left = np.zeros((height, width), np.uint8)
            left[:, : width // 2] = 255
        masks = [os.path.join(directory, "left.png"), os.path.join(directory, "right.png")]
        Image.fromarray(left).save(masks[0])
        Image.fromarray(255 - left).save(masks[1])
        runs = {"blended": dict(style=paintings), "masked": dict(style=paintings, style_masks=masks),
                **{f"only_{name}": dict(style=painting) for name, painting in zip(names, paintings)}}
        results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "photo": args.photo,
                   "mask": args.mask,
                   "styles": names, "size": [width, height], "iterations": args.iterations,
                   "tv": common.tv_settings(), "runs": {}}
        outputs = {}
        for name, run in runs.items():
            started = time.perf_counter()
            output = kstyle.stylize(photo_path, backbone=backbone, max_size=args.size, iterations=args.iterations,
                                    vgg_weights="hed", **run)
            seconds = time.perf_counter() - started
            outputs[name] = output
            _, content = measure(output.astype(np.float32), images.resize(photo, *output.shape[:2]))
            results["runs"][name] = {"content": round(content, 2), "seconds": round(seconds, 1)}
            print(name, results["runs"][name], flush=True)
    runs_found = results["runs"]
    results["masked_over_blended"] = round(runs_found["masked"]["content"] / runs_found["blended"]["content"], 3)
    results["masked_over_mean_of_single"] = round(runs_found["masked"]["content"] / np.mean(
        [runs_found[f"only_{name}"]["content"] for name in names]), 3)
    common.report(results, args.out)
    row = [images.to_uint8(images.resize(photo, *outputs["blended"].shape[:2]))] + list(outputs.values())
    Image.fromarray(np.concatenate(row, axis=1)).save(args.picture, quality=90)


if __name__ == "__main__":
    main()
