"""Probes for the one-pass network's hatching: short trainings that differ in one thing, scored on held-out photos.

    python benchmarks/hatching_probes.py --variants=baseline,antialias [--steps=600]

Each variant trains the shipped recipe (`--preset=starry_night_small`: width 8,
3 residual blocks, style on Gatys' layers, the painting at 512 px, bfloat16
VGG16 where the CPU has it) on the photos available offline minus the held-out
ones (`kstyle.feedforward.shipped.training_sources`) for `--steps`, from the
same seed, in runs/probes/NAME (resumable). Then, on the held-out photos at
512 px: the periodic-artifact score and period (`kstyle.periodicity`), and
Gatys' style and content losses (the judge's yardstick), so a change that
removes the pattern by giving up the style shows it. Results are appended to
benchmarks/results/hatching_probes.json as each variant finishes.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import judge_networks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What each variant changes in the shipped recipe (flat TrainOptions keywords).
VARIANTS = {
    "baseline": {},
    "antialias": {"antialias": True},
    "antialias_avgpool": {"antialias": True, "pooling": "avg"},
    "antialias_no_block1": {"antialias": True,
                            "style_layers": "block2_conv1,block3_conv1,block4_conv1,block5_conv1"},
    "antialias_tv": {"antialias": True, "tv_weight": 1e-2},
    # Every layer at full resolution: no stride-2 stage, so no grid for a pattern to lock onto.
    "full_resolution": {"downsamplings": 0, "width": 16},
    "full_resolution_wide": {"downsamplings": 0, "width": 24, "residual_blocks": 4},
    # The same, with the residual blocks' first convolutions dilated: 51 px seen instead of 29, no stride.
    "full_resolution_dilated": {"downsamplings": 0, "width": 16, "dilations": "2,4,8"},
    "one_downsampling_antialias": {"downsamplings": 1, "width": 16, "antialias": True},
}


def train(name, changes, steps, style, crop_size):
    from kstyle import presets
    from kstyle.feedforward import data, shipped, training
    from kstyle.feedforward.options import TrainOptions
    options = presets.options("starry_night_small", TrainOptions, steps=steps, checkpoint_every=min(steps, 200),
                              summary_every=steps, crop_size=crop_size, **changes)
    model_dir = os.path.join(ROOT, "runs", "probes", f"{name}-{crop_size}px-{steps}")
    photos = data.find_photos(shipped.training_sources(common.SHARED), os.path.join(model_dir, training.SAMPLES_DIR))
    started = time.perf_counter()
    result = training.train(options, style, photos, model_dir, verbose=2)
    return result.model_path, time.perf_counter() - started, len(photos.paths)


def score(model_path, measure, photos):
    from kstyle import periodicity
    from kstyle.feedforward import apply
    network = apply.load_network(model_path)
    rows = {}
    for name, photo in photos.items():
        output = apply.stylize(network, photo).astype(np.float32)
        peak = periodicity.strongest_peak(output)
        style_loss, content_loss = measure(output, photo)
        rows[name] = {"periodic": round(peak.score, 1), "period": round(peak.period, 2),
                      "style": round(style_loss, 1), "content": round(content_loss, 2)}
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="baseline,antialias")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--crop_size", type=int, default=256, help="training crops (128 px is about 3x cheaper)")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "hatching_probes.json"))
    args = parser.parse_args()

    from kstyle import images
    from kstyle.perceptual import vgg
    style_path = common.shared_image("style", "starry_night.jpg")
    style = images.read_image(style_path)
    photos = judge_networks.held_out_photos(512)
    measure = judge_networks.yardstick(vgg.load_vgg16("hed"), style, 512)
    found = json.load(open(args.out)) if os.path.exists(args.out) else {"machine": common.machine(), "runs": []}
    for name in args.variants.split(","):
        model_path, seconds, count = train(name, VARIANTS[name], args.steps, style, args.crop_size)
        rows = score(model_path, measure, photos)
        entry = {"variant": name, "changes": VARIANTS[name], "steps": args.steps, "crop_size": args.crop_size,
                 "train_seconds": round(seconds),
                 "training_photos": count, "date": time.strftime("%Y-%m-%d"), "held_out": rows,
                 "mean_periodic": round(float(np.mean([r["periodic"] for r in rows.values()])), 1),
                 "mean_style": round(float(np.mean([r["style"] for r in rows.values()])), 1),
                 "mean_content": round(float(np.mean([r["content"] for r in rows.values()])), 2)}
        found["runs"].append(entry)
        print(json.dumps(entry), flush=True)
        with open(args.out, "w") as file:
            json.dump(found, file, indent=2)


if __name__ == "__main__":
    main()
