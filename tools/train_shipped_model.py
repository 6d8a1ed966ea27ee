"""Trains a shipped style network the way `kstyle/feedforward/models/` was made, and installs it there.

    python tools/train_shipped_model.py [--name=starry_night] [--steps=N]

Photos: `../shared/images/content/` (when present) and scikit-image's photos, minus the ones
held out for judging (`kstyle.feedforward.shipped.HELD_OUT_*`), with the random crops, scales
and flips of `kstyle.feedforward.data`.
The run lives in `runs/NAME` (resumable: run the same command again), and the
finished `network.keras` is copied to `kstyle/feedforward/models/NAME.keras`. The loss
curve is `runs/NAME/loss.csv`.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "images")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="starry_night")
    parser.add_argument("--style", default=os.path.join(SHARED, "style", "starry_night.jpg"))
    parser.add_argument("--preset", default="starry_night_small")
    parser.add_argument("--steps", type=int, default=None, help="override the preset's --steps")
    args = parser.parse_args()
    from kstyle.feedforward import shipped  # after argparse: --help needs no kstyle
    sources = shipped.training_sources(SHARED)  # every offline photo but the held-out ones
    model_dir = os.path.join(ROOT, "runs", args.name)
    command = [sys.executable, "-m", "kstyle", "train", f"--preset={args.preset}", f"--style={args.style}",
               f"--train_images={','.join(sources)}", f"--model_dir={model_dir}"]
    if args.steps:
        command.append(f"--steps={args.steps}")
    started = time.time()
    subprocess.run(command, check=True, cwd=ROOT)
    target = os.path.join(ROOT, "kstyle", "feedforward", "models", f"{args.name}.keras")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(os.path.join(model_dir, "network.keras"), target)
    print(f"installed {target} ({os.path.getsize(target) / 1e6:.2f} MB) after {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
