"""`kstyle export`: a trained network as a versioned SavedModel for TF Serving."""

import os

from kstyle.cli import flags
from kstyle.cli.console import import_tensorflow_quietly
from kstyle.errors import Error, UsageError
from kstyle.feedforward import shipped


def main():
    """Checks the flags, loads the network, writes the next version; returns the exit status."""
    for flag in (flags.MODEL, flags.EXPORT_DIR):
        if not flag.value:
            raise UsageError(f"--{flag.name} is required")
    source = shipped.resolve(flags.MODEL.value)
    if os.path.isdir(source):
        raise UsageError(f"--model {source}: export takes a .keras network, not a SavedModel directory")
    if flags.VERSION.value is not None and flags.VERSION.value < 1:
        raise UsageError(f"--version must be a positive integer, got {flags.VERSION.value}")
    export_dir = flags.EXPORT_DIR.value
    if os.path.exists(export_dir) and not os.path.isdir(export_dir):
        raise UsageError(f"--export_dir {export_dir}: exists and is not a directory")
    try:
        os.makedirs(export_dir, exist_ok=True)  # export/models/NAME on a fresh clone
    except OSError as error:
        raise Error(f"--export_dir {export_dir}: cannot create it ({error.strerror})") from None
    if not os.access(export_dir, os.W_OK):
        raise Error(f"--export_dir {export_dir}: not writable")

    import_tensorflow_quietly()
    from kstyle.feedforward import apply
    from kstyle.serving import limits, savedmodel

    max_pixels = limits.DEFAULT_MAX_PIXELS if flags.MAX_PIXELS.value is None else flags.MAX_PIXELS.value
    network = apply.load_keras(source)
    written = savedmodel.export(network, export_dir, flags.VERSION.value, max_pixels)
    print(f"wrote {written} (signatures: {', '.join(savedmodel.SIGNATURES)}; max_pixels {max_pixels})")
    return 0
