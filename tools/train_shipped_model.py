"""Trains a shipped style network the way `kstyle/feedforward/models/` was made, and installs it there.

    python tools/train_shipped_model.py [--name=paintings] [--steps=N] [--install]

`paintings` (the default) is one network of the five paintings in `../shared/images/style/`,
each style named for its file, with `flags/paintings.flags`; `--name=starry_night
--preset=starry_night_small --styles=starry_night` is the older one-style network.

Photos: `../shared/images/content/` (when present) and scikit-image's photos, minus the ones
held out for judging (`kstyle.feedforward.shipped.HELD_OUT_*`), with the random crops, scales
and flips of `kstyle.feedforward.data`.
The run lives in `runs/NAME` (resumable: run the same command again, or stop it and
go on later), and with `--install` the finished `network.keras` is copied to
`kstyle/feedforward/models/NAME.keras`. The loss curve is `runs/NAME/loss.csv`.
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
    parser.add_argument("--name", default="paintings")
    parser.add_argument("--styles", default="", help="comma-separated painting names in ../shared/images/style "
                        "(without .jpg); all of them if empty")
    parser.add_argument("--preset", default="paintings")
    parser.add_argument("--steps", type=int, default=None, help="override the preset's --steps")
    parser.add_argument("--install", action="store_true", help="copy the finished network into the package")
    args = parser.parse_args()
    directory = os.path.join(SHARED, "style")
    names = [name for name in args.styles.split(",") if name] or sorted(
        os.path.splitext(name)[0] for name in os.listdir(directory) if name.endswith(".jpg"))
    styles = [os.path.join(directory, f"{name}.jpg") for name in names]
    from kstyle.feedforward import shipped  # after argparse: --help needs no kstyle
    sources = shipped.training_sources(SHARED)  # every offline photo but the held-out ones
    model_dir = os.path.join(ROOT, "runs", args.name)
    command = [sys.executable, "-m", "kstyle", "train", f"--preset={args.preset}", f"--style={','.join(styles)}",
               f"--train_images={','.join(sources)}", f"--model_dir={model_dir}"]
    if args.steps:
        command.append(f"--steps={args.steps}")
    started = time.time()
    subprocess.run(command, check=True, cwd=ROOT)
    if not args.install:
        return
    target = os.path.join(ROOT, "kstyle", "feedforward", "models", f"{args.name}.keras")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(os.path.join(model_dir, "network.keras"), target)
    print(f"installed {target} ({os.path.getsize(target) / 1e6:.2f} MB) after {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
