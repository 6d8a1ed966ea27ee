"""`kstyle train`: train a feed-forward style network on photos, resumably."""

import os
import sys

from kstyle import finder
from kstyle.cli import flags
from kstyle.cli.console import import_tensorflow_quietly, print_error
from kstyle.errors import INTERRUPTS, Error, Interrupted, UsageError, is_interrupt
from kstyle.feedforward import styles
from kstyle.feedforward.options import TrainOptions


def main():
    """Checks the inputs, then trains (or resumes); returns the exit status."""
    for flag in (flags.STYLE, flags.TRAIN_IMAGES, flags.MODEL_DIR):
        if not flag.value:
            raise UsageError(f"--{flag.name} is required")
    options = flags.options_from_flags(TrainOptions)
    paintings = styles.named(flags.STYLE.value)
    model_dir = flags.MODEL_DIR.value
    _check_model_dir(model_dir)
    found = finder.find_images(flags.TRAIN_IMAGES.value, option="--train_images", recursive=True, extensions=None)

    # The strategy before any TensorFlow op: a multi-worker one cannot be made after, and finding the
    # photos decodes them.
    strategy = import_tensorflow_quietly(before_ops=lambda: _strategy(options.strategy))
    import tensorflow as tf

    from kstyle.feedforward import data, training

    photos = data.find_photos(found, os.path.join(model_dir, training.SAMPLES_DIR))
    print(f"training on {len(photos.paths)} photos" + (f" ({photos.skipped} unreadable, skipped)" if photos.skipped
                                                       else ""), flush=True)

    def say_changes(changes):
        print(f"changed since the last run in {model_dir}: {', '.join(changes)}", flush=True)

    try:
        result = training.train(options, paintings, photos, model_dir, verbose=1 if sys.stdout.isatty() else 2,
                                sample_photos=data.preview_photos(photos.paths, options.crop_size),
                                on_changes=say_changes, strategy=strategy)
    except Interrupted as interrupted:
        return print_error(f"interrupted at step {interrupted.step}; checkpoint saved in {model_dir}, "
                           "run the same command to resume", 130)
    except INTERRUPTS as error:  # before or after the steps: the checkpoints are the last ones saved
        if not is_interrupt(error):
            raise
        return print_error(_kept(model_dir), 130)
    except (MemoryError, tf.errors.ResourceExhaustedError):
        raise Error(f"out of memory training on batches of {options.batch_size} crops of {options.crop_size} px; "
                    "try a smaller --batch_size or --crop_size") from None
    if result.resumed_from >= options.steps:
        print(f"{model_dir} is already trained to step {result.resumed_from}; nothing to do (a larger --steps "
              f"continues it); the network is {result.model_path}")
        return 0
    resumed = f", resumed at step {result.resumed_from}" if result.resumed_from else ""
    replicas = f" on {result.replicas} replicas" if result.replicas > 1 else ""
    if not result.chief:
        print(f"trained to step {result.steps}{resumed}{replicas} as a worker; the chief writes {result.model_path}")
        return 0
    print(f"wrote {result.model_path} ({result.steps} steps{resumed}{replicas}; styles: {', '.join(paintings)})")
    return 0


def _kept(model_dir):
    """What an interrupted run leaves: its last checkpoint, if it saved one."""
    import tensorflow as tf

    from kstyle.feedforward import training
    last = tf.train.latest_checkpoint(os.path.join(model_dir, training.CHECKPOINTS_DIR))
    if last is None:
        return "interrupted before the first checkpoint; run the same command to start again"
    return (f"interrupted; {model_dir} keeps its checkpoint of step {last.rsplit('-', 1)[1]}, "
            "run the same command to resume")


def _strategy(name):
    from kstyle.feedforward import training
    return training.make_strategy(name)


def _check_model_dir(model_dir):
    """Refuses a --model_dir that cannot be created (training makes it and its parents: runs/NAME)."""
    existing = os.path.abspath(model_dir)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"--model_dir {model_dir}: {existing} exists and is not a directory")
    if not os.access(existing, os.W_OK):
        raise Error(f"--model_dir {model_dir}: {existing} is not writable")
