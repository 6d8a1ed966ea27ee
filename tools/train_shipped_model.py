"""Trains a shipped style network the way `kstyle/feedforward/models/` was made, and installs it there.

    python tools/train_shipped_model.py [--name=paintings] [--steps=N] [--install] [KSTYLE_TRAIN_FLAGS...]

`paintings` (the default) is one network of the five paintings in `../shared/images/style/`,
each style named for its file, with `flags/paintings.flags` (the shipped one was trained
`--no-wallpapers`); `--name=starry_night
--preset=starry_night_small --styles=starry_night` is the older one-style network. Other
flags go to `kstyle train` after the preset's (`--name=candidate --dilations=2,4,8`: a variant
in its own run).

Photos: `../shared/images/content/` (when present) and scikit-image's photos, minus the ones
held out for judging (`kstyle.feedforward.shipped.HELD_OUT_*`), and the wallpaper photographs that
`tools/gather_training_photos.py` gathered into `runs/training_photos/` (checked against its
manifest first, so a run trains on the recorded set; `--no-wallpapers` leaves them out), with the
random crops, scales and flips of `kstyle.feedforward.data`.
The run lives in `runs/NAME` (resumable: run the same command again, or stop it and
go on later), and with `--install` the finished `network.keras` is copied to
`kstyle/feedforward/models/NAME.keras`. The loss curve is `runs/NAME/loss.csv`.

A run longer than one sitting is carried over in `tools/resume/NAME/` (its latest
checkpoint, config and loss curve, a few hundred KB, committed): `--save_resume`
writes it from `runs/NAME`, and a fresh clone starts `runs/NAME` from it.
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
    parser.add_argument("--preset", default="paintings", help="a preset's name, or a flagfile's path "
                        "(tools/paintings_quarter.flags)")
    parser.add_argument("--steps", type=int, default=None, help="override the preset's --steps")
    parser.add_argument("--install", action="store_true", help="copy the finished network into the package")
    parser.add_argument("--style_suffix", default="", help="with --install: add this to each style's name (_fast), "
                        "for a second network of the same paintings (kstyle.feedforward.shipped.Network.suffix)")
    parser.add_argument("--wallpapers", action=argparse.BooleanOptionalAction, default=True,
                        help="also train on runs/training_photos (tools/gather_training_photos.py)")
    parser.add_argument("--save_resume", action="store_true", help="copy runs/NAME's latest checkpoint to "
                        "tools/resume/NAME and stop (to commit a run that goes on in another sitting)")
    args, train_flags = parser.parse_known_args()
    stray = [flag for flag in train_flags if not flag.startswith("--")]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    model_dir = os.path.join(ROOT, "runs", args.name)
    resume_dir = os.path.join(ROOT, "tools", "resume", args.name)
    if args.save_resume:
        return save_resume(model_dir, resume_dir)
    if not os.path.exists(model_dir) and os.path.isdir(resume_dir):
        shutil.copytree(resume_dir, model_dir)
        print(f"resuming from {resume_dir}")
    directory = os.path.join(SHARED, "style")
    names = [name for name in args.styles.split(",") if name] or sorted(
        os.path.splitext(name)[0] for name in os.listdir(directory) if name.endswith(".jpg"))
    styles = [os.path.join(directory, f"{name}.jpg") for name in names]
    from kstyle.feedforward import shipped  # after argparse: --help needs no kstyle
    sources = shipped.training_sources(SHARED)  # every offline photo but the held-out ones
    if args.wallpapers:
        gather = os.path.join(ROOT, "tools", "gather_training_photos.py")
        if subprocess.run([sys.executable, gather, "--check"], cwd=ROOT).returncode:
            sys.exit("the wallpaper photos differ from tools/training_photos.json: run "
                     f"{os.path.relpath(gather, ROOT)} (or train --no-wallpapers)")
        sources.append(os.path.join(ROOT, "runs", "training_photos"))
    preset = f"--flagfile={args.preset}" if args.preset.endswith(".flags") else f"--preset={args.preset}"
    command = [sys.executable, "-m", "kstyle", "train", preset, f"--style={','.join(styles)}",
               f"--train_images={','.join(sources)}", f"--model_dir={model_dir}"]
    if args.steps:
        command.append(f"--steps={args.steps}")
    command += train_flags
    started = time.time()
    status = subprocess.run(command, cwd=ROOT).returncode
    if status:  # kstyle train said why (Ctrl-C or SIGTERM: the checkpoint it saved); no traceback on top
        sys.exit(status)
    if not args.install:
        return
    target = os.path.join(ROOT, "kstyle", "feedforward", "models", f"{args.name}.keras")
    install(os.path.join(model_dir, "network.keras"), target, args.style_suffix)
    print(f"installed {target} ({os.path.getsize(target) / 1e6:.2f} MB) after {time.time() - started:.0f} s")


def install(source, target, suffix="", **changes):
    """Copies a run's network to `target`, each style renamed NAME + `suffix` if one is given.

    `changes` are `StyleNetwork` settings that have no weights of their own
    (`shrink=2`): the copy paints with the same weights, otherwise.
    """
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if not suffix and not changes:
        shutil.copyfile(source, target)
        return
    import numpy as np

    from kstyle.feedforward import apply
    from kstyle.feedforward.network import StyleNetwork
    network = apply.load_keras(source)
    renamed = StyleNetwork.from_config({**network.get_config(), **changes,
                                        "styles": [f"{style}{suffix}" for style in network.styles]})
    renamed(np.zeros((1, 32, 32, 3), np.float32))
    renamed.set_weights(network.get_weights())
    partial = target + ".partial.keras"
    renamed.save(partial)
    os.replace(partial, target)


def save_resume(model_dir, resume_dir):
    """Copies the latest checkpoint (with the files resuming needs) to `resume_dir`, replacing what was there."""
    import tensorflow as tf
    latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    if latest is None:
        sys.exit(f"{model_dir} has no checkpoint to save")
    staging = resume_dir + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.join(staging, "checkpoints"))
    for name in ("config.json", "loss.csv"):
        shutil.copyfile(os.path.join(model_dir, name), os.path.join(staging, name))
    prefix = os.path.basename(latest)
    for name in os.listdir(os.path.dirname(latest)):
        if name.startswith(prefix + "."):
            shutil.copyfile(os.path.join(os.path.dirname(latest), name), os.path.join(staging, "checkpoints", name))
    with open(os.path.join(staging, "checkpoints", "checkpoint"), "w") as file:
        file.write(f'model_checkpoint_path: "{prefix}"\nall_model_checkpoint_paths: "{prefix}"\n')
    shutil.rmtree(resume_dir, ignore_errors=True)
    os.rename(staging, resume_dir)
    print(f"saved {prefix} of {model_dir} in {resume_dir}")


if __name__ == "__main__":
    main()
