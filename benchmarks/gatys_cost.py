"""What a `kstyle stylize` run costs, in VGG16 passes, against how it looks: whole runs, scored against d30705d.

    python benchmarks/gatys_cost.py --reference_tree=/tmp/d30705d [--size=512] [--pairs=...]
    python benchmarks/gatys_cost.py [--size=512] [--pairs=...] [--candidates=default,gatys,...]
                                    [--candidate='NAME=--flag=value --flag=value' ...] [--save_every=10]
                                    [--picture=docs/gatys_default.jpg]

Issue 28: a default that costs at most 100 units at 512 px on every pair, as faithful as
the default of commit d30705d (2026-11-25). The unit is one bare float32 VGG16
forward and backward pass at the output's size (`gatys_speed.bare_vgg`, the
"bare VGG16" of BENCHMARKS.md's overhead table: the layers through
block5_conv2, a trivial loss), timed in this process as the median of
`--unit_repeats` passes before each pair's runs and again after them (the
median of both sets is the unit; both are recorded). Each run is a child
process, `python -m kstyle stylize ... --vgg_weights=hed --precision=float32`,
timed from spawn to exit: the import, the model load, the style targets and the
tracing count, as they do for a user. The children run one at a time, while
this process waits; it loads TensorFlow itself only to time the unit and score.

Every output is scored with one yardstick (`judge_networks.yardstick`: Gatys'
Gram loss on block1_conv1 to block5_conv1, the mean over layers, against the
painting at `--size`; the mean squared block4_conv2 difference from the photo)
and the periodic-artifact score (`kstyle.periodicity`, as the judge uses it).
A candidate passes a pair if it costs at most `--budget` units, its style and
content losses are each at most the reference's, and its periodic score is at
most twice the larger of the photo's and the reference's (the judge's artifact
rule). The contact sheet shows, per pair: the photo, the reference, each candidate.

Reference (`--reference_tree`, once per size): the tree of commit d30705d
(`git worktree add /tmp/d30705d d30705d`) runs its own CLI with its own defaults
(300 iterations, TV summed over pixels at weight 0.01) on each pair, with
`--vgg_weights=hed --precision=float32 --max_size=SIZE`; its outputs go to
`--images`/reference (not committed) and its scores to
benchmarks/results/gatys_cost_reference_SIZE.json, which the candidate runs read.

Candidates (`--candidates`, by name from `CANDIDATES`; `--candidate=NAME=FLAGS`
adds one): the flags each passes to `kstyle stylize` on top of the defaults of
this tree. Each run writes a loss log, from which the image's mean pixel change
per iteration is recorded (`change`, what `--min_change` watches); with
`--save_every=N` its snapshots are scored too (`curve`): a run without a stop
rule follows the same path whatever its iteration count, so one long run shows
what each shorter one would score. Cheaper, and recorded without snapshots: at one
scale with the default objective, the loss log's own style and content terms (divided
by their weights) are the yardstick, so `objective_curve` reads every 10th iteration's
scores from it. Pairs are `PHOTO:PAINTING`: PHOTO a file in
../shared/images/content (without .jpg) or a scikit-image sample
(`astronaut`), PAINTING one in ../shared/images/style. Writes
benchmarks/results/gatys_cost_SIZE.json, `--images`/sheet.jpg and, with
`--picture`, the photo and `--picture_runs` side by side for `--picture_pairs`.
Run it alone: each run keeps both cores busy.
"""

import argparse
import csv
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import gatys_speed  # noqa: E402
import judge_networks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = "tubingen:starry_night,golden_gate:the_scream,stata:woman-with-hat-matisse,astronaut:wave"
BUDGET = 100  # units a default run may cost (issue 28)
# Flags every run gets: the offline weights, and float32 whatever the machine (the unit is float32).
FIXED = ["--vgg_weights=hed", "--precision=float32"]
# The flags each candidate adds to this tree's defaults. `previous` is the default until issue 28 (named
# in full, so it stays itself when the defaults change); the `_it150` runs, scored with --save_every=10,
# show every shorter run's figures (a run without a stop rule takes the same path whatever its count).
PREVIOUS = ["--iterations=300", "--scales=1", "--init=content", "--lbfgs_history=20", "--min_change=0"]
CANDIDATES = {
    "default": [],
    "previous": PREVIOUS,
    "gatys": ["--preset=gatys"],
    "it80": PREVIOUS + ["--iterations=80"],
    "it150": PREVIOUS + ["--iterations=150"],
    "recolored_it80": PREVIOUS + ["--init=recolored", "--iterations=80"],
    "recolored_it150": PREVIOUS + ["--init=recolored", "--iterations=150"],
    "recolored_hist100_it150": PREVIOUS + ["--init=recolored", "--lbfgs_history=100", "--iterations=150"],
    "scales2_it60": PREVIOUS + ["--scales=2", "--iterations=60"],
    "scales2_it100_50": PREVIOUS + ["--scales=2", "--iterations=100,50"],
    "scales2_it100_50_recolored": PREVIOUS + ["--scales=2", "--iterations=100,50", "--init=recolored"],
    "recolored_hist100_scales2_it100_60": PREVIOUS + ["--init=recolored", "--lbfgs_history=100", "--scales=2",
                                                      "--iterations=100,60"],
    "recolored_hist100_it200": PREVIOUS + ["--init=recolored", "--lbfgs_history=100", "--iterations=200"],
}
# Flags that make a run's objective differ from the yardstick's (times its weights), so its loss log cannot
# stand in for scoring its snapshots.
OBJECTIVE_FLAGS = ("--preset", "--style_layers", "--content_layers", "--style_weight", "--content_weight",
                   "--gram_normalization", "--pooling", "--preserve_colors", "--style_scale", "--style_masks")


def photo_source(name):
    """A shared photo's path, or `sample:NAME` for one of scikit-image's."""
    path = os.path.normpath(os.path.join(common.SHARED, "content", f"{name}.jpg"))
    return path if os.path.exists(path) else f"sample:{name}"


def closing_line(text):
    """What a run's closing line says: iterations, loss evaluations, why it stopped (whatever it says of each)."""
    line = next((line for line in reversed(text.splitlines()) if line.startswith("wrote ")), "")
    found = {"line": line}
    for key, pattern in (("iterations", r"(\d+) iterations"), ("evaluations", r"(\d+) loss evaluations"),
                         ("full_size_evaluations", r"(\d+(?:\.\d+)?) full-size"), ("stopped", r"stopped: ([^,]+)")):
        match = re.search(pattern, line)
        if match:
            found[key] = match.group(1)
    return found


def run_child(command, log_path, cwd=None, pythonpath=ROOT):
    """Runs `command`, its output to `log_path`; returns (seconds from spawn to exit, its output)."""
    environment = dict(os.environ, PYTHONPATH=pythonpath, TF_CPP_MIN_LOG_LEVEL="2")
    with open(log_path, "w") as log:
        started = time.perf_counter()
        status = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=environment)
        seconds = time.perf_counter() - started
    text = open(log_path, errors="replace").read()
    if status != 0:
        sys.exit(f"{shlex.join(command)} failed ({status}):\n{text[-2000:]}")
    return seconds, text


def change_curve(loss_log):
    """The image's mean pixel change per iteration (0-255 levels) from a run's loss log: every 10th
    iteration's 10-iteration mean (what `--min_change` compares), and the last."""
    with open(loss_log) as file:
        changes = [float(row["change"]) for row in csv.DictReader(file)]
    means = {str(end): round(float(np.mean(changes[end - 10:end])), 3) for end in range(10, len(changes) + 1, 10)}
    if changes:
        means["last"] = round(float(np.mean(changes[-10:])), 3)
    return means


def objective_curve(loss_log, flags, reference, every=10):
    """`[{step, evaluations, style, content, ratios}]` every `every` iterations from a run's loss log, or None.

    At one scale, with the default objective, the log's style term divided by
    the style weight is the yardstick's style loss and its content term the
    yardstick's content loss (the same layers, Gram normalization and pooling,
    against the same painting at the same size), up to the rounding of the
    written picture: where a run of N iterations would have scored, without a
    run per N or a snapshot per step. None when the flags change the objective
    or the run had several scales.
    """
    from kstyle.perceptual.options import PerceptualOptions
    if any(flag.split("=")[0] in OBJECTIVE_FLAGS for flag in flags) or any(
            flag.startswith("--scales=") and flag != "--scales=1" for flag in flags):
        return None
    defaults = PerceptualOptions()
    with open(loss_log) as file:
        rows = list(csv.DictReader(file))
    curve = []
    for row in rows:
        step = int(row["step"])
        if step % every and row is not rows[-1]:
            continue
        style, content = float(row["style"]) / defaults.style_weight, float(row["content"]) / defaults.content_weight
        curve.append({"step": step, "evaluations": int(row["evaluations"]), "style": round(style, 3),
                      "content": round(content, 3), "style_ratio": round(style / reference["style"], 3),
                      "content_ratio": round(content / reference["content"], 3)})
    if any(int(row["evaluations"]) < int(before["evaluations"]) for before, row in zip(rows, rows[1:])):
        return None  # the evaluations started again: a second scale
    return curve


def snapshot_curve(measure, photo, output_path, reference):
    """`[{step, style, content, ...}]` for the `--save_every` snapshots beside `output_path`, as ratios to the
    reference's too; the snapshots are deleted once scored."""
    stem, extension = os.path.splitext(output_path)
    curve = []
    for path in sorted(glob.glob(f"{glob.escape(stem)}_[0-9][0-9][0-9][0-9]{extension}")):
        scores, _ = score(measure, photo, path)
        curve.append({"step": int(path[len(stem) + 1:-len(extension)]), **{k: round(v, 3) for k, v in scores.items()},
                      "style_ratio": round(scores["style"] / reference["style"], 3),
                      "content_ratio": round(scores["content"] / reference["content"], 3)})
        os.remove(path)
    return curve


class Unit:
    """The unit: one bare float32 VGG16 forward and backward at an output's size, timed in this process."""

    def __init__(self, backbone, repeats):
        self.backbone, self.repeats, self.passes = backbone, repeats, {}

    def time(self, shape):
        """Times `repeats` more passes at `shape` (after a warm-up); returns their median in seconds."""
        seconds, times = common.median_seconds(gatys_speed.bare_vgg(self.backbone, shape, "float32"), self.repeats,
                                               warmup=2)
        self.passes.setdefault(tuple(shape), []).append(times)
        return seconds

    def seconds(self, shape):
        """The median of every pass timed at `shape`."""
        return float(np.median(np.concatenate(self.passes[tuple(shape)])))


def rounded(seconds):
    """`seconds` to the millisecond; None stays None (a rescored run's unit was not timed)."""
    return None if seconds is None else round(seconds, 3)


def output_shape(photo, size):
    from kstyle import images
    image = images.read_image(photo)
    return (*images.fit_longest_side(*image.shape[:2], size), 3)


def score(measure, photo, output_path):
    """Yardstick losses and the periodic score of a written picture, and the picture."""
    from kstyle import images, periodicity
    output = images.read_image(output_path)
    photo = images.resize(images.read_image(photo), *output.shape[:2])
    style, content = measure(output, photo)
    return {"style": style, "content": content, "periodic": periodicity.strongest_peak(output).score}, output


def judge(run, reference, photo_periodic, budget):
    """Ratios to the reference and whether the run passes issue 28's bar."""
    run["style_ratio"] = round(run["style"] / reference["style"], 3)
    run["content_ratio"] = round(run["content"] / reference["content"], 3)
    run["periodic_bound"] = round(2 * max(photo_periodic, reference["periodic"]), 1)
    run["passes"] = {"units": None if run["units"] is None else run["units"] <= budget, "style": run["style_ratio"] <= 1.0,
                     "content": run["content_ratio"] <= 1.0, "periodic": run["periodic"] <= run["periodic_bound"]}
    run["passes"]["all"] = all(run["passes"].values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--pairs", default=PAIRS)
    parser.add_argument("--candidates", default="default,previous", help=f"names from: {', '.join(CANDIDATES)}")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=FLAGS",
                        help="another candidate: a name, =, and its kstyle stylize flags (space-separated)")
    parser.add_argument("--reference_tree", default=None,
                        help="make the reference: commit d30705d's tree, whose own CLI and defaults are run")
    parser.add_argument("--reference", default=None, help="the reference's results (default: "
                        "benchmarks/results/gatys_cost_reference_SIZE.json)")
    parser.add_argument("--budget", type=float, default=BUDGET)
    parser.add_argument("--unit_repeats", type=int, default=5)
    parser.add_argument("--save_every", type=int, default=0, help="also score the picture every N iterations of "
                        "each candidate (its --save_every snapshots): where it passes the reference")
    parser.add_argument("--rescore", action="store_true", help="score the outputs an earlier run of these "
                        "candidates left in --images (with their logs) instead of running them again; their "
                        "whole-process time was not kept, so they have no units")
    parser.add_argument("--images", default=None, help="where outputs and logs go (default: runs/gatys_cost/SIZE)")
    parser.add_argument("--out", default=None, help="default: benchmarks/results/gatys_cost[_reference]_SIZE.json")
    parser.add_argument("--picture", default=None, help="also a small sheet of the photo and --picture_runs side "
                        "by side, for each of --picture_pairs (README's: docs/gatys_default.jpg)")
    parser.add_argument("--picture_runs", default="default,gatys")
    parser.add_argument("--picture_pairs", default="tubingen:starry_night,astronaut:wave")
    args = parser.parse_args()

    results_dir = os.path.join(ROOT, "benchmarks", "results")
    reference_path = args.reference or os.path.join(results_dir, f"gatys_cost_reference_{args.size}.json")
    making_reference = args.reference_tree is not None
    out = args.out or (reference_path if making_reference
                       else os.path.join(results_dir, f"gatys_cost_{args.size}.json"))
    images_dir = args.images or os.path.join(ROOT, "runs", "gatys_cost", str(args.size))
    if making_reference:
        tree = os.path.abspath(args.reference_tree)
        commit = subprocess.run(["git", "-C", tree, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        candidates = {"reference": []}
    else:
        with open(reference_path) as file:
            reference = json.load(file)
        candidates = {name: CANDIDATES[name] for name in args.candidates.split(",") if name}
        for spec in args.candidate:
            name, _, flags = spec.partition("=")
            candidates[name] = shlex.split(flags)
    for name in candidates:
        os.makedirs(os.path.join(images_dir, name), exist_ok=True)

    from kstyle import images, periodicity
    from kstyle.perceptual import vgg

    backbone = vgg.load_vgg16("hed")
    unit = Unit(backbone, args.unit_repeats)
    results = {"machine": common.machine(), "date": time.strftime("%Y-%m-%d"), "size": args.size,
               "command": shlex.join([os.path.basename(sys.executable)] + sys.argv), "budget": args.budget,
               "unit": "one bare float32 VGG16 forward and backward at the output's size (gatys_speed.bare_vgg)",
               "fixed_flags": FIXED, "pairs": {}}
    if making_reference:
        results["reference_commit"] = commit
    else:
        results["reference"] = os.path.relpath(reference_path, ROOT)
        results["candidates"] = {name: shlex.join(flags) for name, flags in candidates.items()}
    rows, chosen = {}, {}
    for pair in args.pairs.split(","):
        photo_name, painting_name = pair.split(":")
        photo = photo_source(photo_name)
        painting = common.shared_image("style", f"{painting_name}.jpg")
        shape = output_shape(photo, args.size)
        before = None if args.rescore else unit.time(shape)
        runs = {}
        for name, flags in candidates.items():
            output = os.path.join(images_dir, name, f"{photo_name}_{painting_name}.png")
            command = [sys.executable, "-m", "kstyle", "stylize", f"--content={photo}", f"--style={painting}",
                       f"--output={output}", f"--max_size={args.size}", *FIXED, *flags]
            if args.rescore:
                seconds, text = None, open(output + ".log", errors="replace").read() if os.path.exists(
                    output + ".log") else ""
                if not closing_line(text).get("iterations"):
                    continue  # not run, or interrupted
            elif making_reference:
                seconds, text = run_child(command, output + ".log", cwd=tree, pythonpath=tree)
            else:
                extra = [f"--save_every={args.save_every}"] if args.save_every else []
                seconds, text = run_child(command + [f"--loss_log={output}.csv"] + extra, output + ".log")
            runs[name] = {"command": shlex.join(["python"] + command[1:]),
                          "seconds": None if seconds is None else round(seconds, 1),
                          "output": os.path.relpath(output, ROOT), **closing_line(text)}
            if not making_reference:
                runs[name]["change"] = change_curve(output + ".csv")
            print(pair, name, runs[name]["seconds"], "s", runs[name]["line"], flush=True)
        if not runs:
            continue
        after = None if args.rescore else unit.time(shape)
        unit_seconds = None if args.rescore else unit.seconds(shape)
        measure = judge_networks.yardstick(backbone, images.read_image(painting), args.size)
        photo_periodic = periodicity.strongest_peak(images.resize(images.read_image(photo), *shape[:2])).score
        rows[pair] = [images.resize(images.read_image(photo), *shape[:2])]
        pictures = {"photo": rows[pair][0]}
        if not making_reference:
            reference_run = reference["pairs"][pair]["runs"]["reference"]
            reference_image = os.path.join(ROOT, reference_run["output"])
            rows[pair].append(images.read_image(reference_image) if os.path.exists(reference_image)
                              else np.full(shape, 255.0, np.float32))
        for name, run in runs.items():
            scores, picture = score(measure, photo, os.path.join(ROOT, run["output"]))
            run.update(scores, units=None if unit_seconds is None else round(run["seconds"] / unit_seconds, 1))
            rows[pair].append(picture)
            pictures[name] = picture
            if not making_reference:
                judge(run, reference_run, photo_periodic, args.budget)
                run["curve"] = snapshot_curve(measure, photo, os.path.join(ROOT, run["output"]), reference_run)
                run["objective_curve"] = objective_curve(os.path.join(ROOT, run["output"]) + ".csv",
                                                         candidates[name], reference_run)
            print(pair, name, {key: run.get(key) for key in ("units", "style", "content", "periodic", "passes")},
                  flush=True)
        results["pairs"][pair] = {
            "photo": photo, "painting": os.path.relpath(painting, ROOT), "shape": list(shape),
            "photo_periodic": round(photo_periodic, 1),
            "unit_seconds": rounded(unit_seconds), "unit_seconds_before": rounded(before),
            "unit_seconds_after": rounded(after), "runs": runs}
        with open(out, "w") as file:  # after every pair: a campaign stopped half-way keeps what it measured
            json.dump(results, file, indent=2)
        if args.picture and pair in args.picture_pairs.split(","):
            chosen[pair] = [pictures[name] for name in ["photo"] + args.picture_runs.split(",") if name in pictures]
    if not making_reference and not args.rescore:
        results["summary"] = {name: {"passes_every_pair": all(results["pairs"][p]["runs"][name]["passes"]["all"]
                                                              for p in results["pairs"]),
                                     "most_units": max(results["pairs"][p]["runs"][name]["units"]
                                                       for p in results["pairs"])}
                              for name in candidates}
        passing = [name for name in candidates if results["summary"][name]["passes_every_pair"]]
        results["cheapest_passing_every_pair"] = min(passing, key=lambda name: results["summary"][name]["most_units"],
                                                     default=None)
    common.report(results, out)
    judge_networks._picture(rows, os.path.join(images_dir, "sheet.jpg"))
    if chosen:
        judge_networks._picture(chosen, args.picture, height=256)


if __name__ == "__main__":
    main()
