"""`kstyle train`: train a feed-forward style network on photos, resumably."""

import os
import sys
import tempfile

from kstyle import images
from kstyle.cli import flags
from kstyle.cli.console import import_tensorflow_quietly, print_error
from kstyle.errors import Error, Interrupted, UsageError
from kstyle.options import TrainOptions

SAMPLE_PHOTOS = "sample:photos"


def main():
    """Checks the inputs, then trains (or resumes); returns the exit status."""
    for flag in (flags.STYLE, flags.TRAIN_IMAGES, flags.MODEL_DIR):
        if not flag.value:
            raise UsageError(f"--{flag.name} is required")
    if len(flags.STYLE.value) != 1:
        raise UsageError("train: give one --style image; a network learns one style")
    options = flags.options_from_flags(TrainOptions)
    style = images.read_image(flags.STYLE.value[0])
    model_dir = flags.MODEL_DIR.value
    _check_model_dir(model_dir)

    import_tensorflow_quietly()
    with tempfile.TemporaryDirectory(prefix="kstyle-photos-") as samples:
        return _train(options, style, model_dir, samples)


def _train(options, style, model_dir, samples):
    """Trains on --train_images (the built-in photos written to `samples` if asked for)."""
    from kstyle import data, train

    sources = list(flags.TRAIN_IMAGES.value)
    if SAMPLE_PHOTOS in sources:
        sources.remove(SAMPLE_PHOTOS)
        sources += data.write_sample_photos(samples)
    found = data.find_photos(sources)
    print(f"training on {len(found.paths)} photos" + (f" ({found.skipped} unreadable, skipped)" if found.skipped
                                                      else ""), flush=True)
    try:
        result = train.train(options, style, found, model_dir, verbose=1 if sys.stdout.isatty() else 2,
                             sample_photos=data.preview_photos(found.paths, options.crop_size))
    except Interrupted as interrupted:
        return print_error(f"interrupted at step {interrupted.step}; checkpoint saved in {model_dir}, "
                           "run the same command to resume", 130)
    resumed = f", resumed at step {result.resumed_from}" if result.resumed_from else ""
    print(f"wrote {result.model_path} ({result.steps} steps{resumed})")
    return 0


def _check_model_dir(model_dir):
    """Refuses a --model_dir that cannot be created (training makes it and its parents: runs/NAME)."""
    existing = os.path.abspath(model_dir)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"--model_dir {model_dir}: {existing} exists and is not a directory")
    if not os.access(existing, os.W_OK):
        raise Error(f"--model_dir {model_dir}: {existing} is not writable")
