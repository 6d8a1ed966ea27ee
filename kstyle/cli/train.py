"""`kstyle train`: train a feed-forward style network on photos, resumably."""

import os
import sys
import tempfile

from kstyle import images
from kstyle.cli import flags
from kstyle.cli.console import import_tensorflow_quietly, print_error
from kstyle.errors import Interrupted, UsageError
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
    parent = os.path.dirname(os.path.abspath(model_dir))
    if not os.path.isdir(parent):
        raise UsageError(f"--model_dir: the directory {parent} does not exist")

    import_tensorflow_quietly()
    from kstyle import data, train

    sources = list(flags.TRAIN_IMAGES.value)
    if SAMPLE_PHOTOS in sources:
        sources.remove(SAMPLE_PHOTOS)
        sources += data.write_sample_photos(tempfile.mkdtemp(prefix="kstyle-photos-"))
    found = data.find_photos(sources)
    print(f"training on {len(found.paths)} photos" + (f" ({found.skipped} unreadable, skipped)" if found.skipped
                                                      else ""), flush=True)
    try:
        result = train.train(options, style, sources, model_dir, verbose=1 if sys.stdout.isatty() else 2,
                             sample_photos=data.preview_photos(found.paths, options.crop_size))
    except Interrupted as interrupted:
        return print_error(f"interrupted at step {interrupted.step}; checkpoint saved in {model_dir}, "
                           "run the same command to resume", 130)
    resumed = f", resumed at step {result.resumed_from}" if result.resumed_from else ""
    print(f"wrote {result.model_path} ({result.steps} steps{resumed})")
    return 0
