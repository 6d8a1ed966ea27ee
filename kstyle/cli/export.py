"""`kstyle export`: a trained network as a versioned SavedModel for TF Serving, or a LiteRT or ONNX file."""

import os

from kstyle import images
from kstyle.cli import flags
from kstyle.errors import Error, UsageError
from kstyle.feedforward import blend, shipped
from kstyle.serving import FILE_SUFFIXES, limits
from kstyle.startup import import_tensorflow_quietly

_SERVING_ONLY = ("export_dir", "export_version", "max_pixels", "max_request_pixels", "max_batch")


def main():
    """Checks the flags, loads the network, writes it; returns the exit status."""
    flags.require("export")
    source = shipped.resolve(flags.MODEL.value)
    if flags.BLEND.value is not None:
        blend.parse(flags.BLEND.value)
    if flags.STRENGTH.value is not None:
        blend.strength(flags.STRENGTH.value)
    if os.path.isdir(source):
        raise UsageError(f"--model {source}: export takes a .keras network, not a SavedModel directory")
    if flags.FORMAT.value in FILE_SUFFIXES:
        return _file(flags.FORMAT.value)
    if flags.OUTPUT.value:
        raise UsageError("--output is for --format=tflite or onnx; a SavedModel goes to --export_dir")
    return _savedmodel()


def _load():
    """The network and what it paints: its one style, the shipped style named, or --blend."""
    from kstyle.feedforward import apply
    return apply.load_with_weights(flags.MODEL.value, flags.BLEND.value)


def _savedmodel():
    if not flags.EXPORT_DIR.value:
        raise UsageError("--export_dir is required")
    if flags.EXPORT_VERSION.value is not None and flags.EXPORT_VERSION.value < 1:
        raise UsageError(f"--export_version must be a positive integer, got {flags.EXPORT_VERSION.value}")
    budget = limits.budget(flags.MAX_PIXELS.value, flags.MAX_REQUEST_PIXELS.value, flags.MAX_BATCH.value)
    export_dir = flags.EXPORT_DIR.value
    if flags.EXPORT_VERSION.value is not None and os.path.exists(os.path.join(export_dir, str(flags.EXPORT_VERSION.value))):
        raise UsageError(f"{os.path.join(export_dir, str(flags.EXPORT_VERSION.value))} exists already; TF Serving "
                         "versions are immutable, use another --export_version")
    if os.path.exists(export_dir) and not os.path.isdir(export_dir):
        raise UsageError(f"--export_dir {export_dir}: exists and is not a directory")
    try:
        os.makedirs(export_dir, exist_ok=True)  # export/models/NAME on a fresh clone
    except OSError as error:
        raise Error(f"--export_dir {export_dir}: cannot create it ({error.strerror})") from None
    if not os.access(export_dir, os.W_OK):
        raise Error(f"--export_dir {export_dir}: not writable")

    import_tensorflow_quietly()
    from kstyle.serving import savedmodel

    network, weights = _load()
    written = savedmodel.export(network, export_dir, flags.EXPORT_VERSION.value, budget, weights, flags.STRENGTH.value)
    styles = savedmodel.style_names(written)
    signatures = [*savedmodel.SIGNATURES, *([savedmodel.BLEND_SIGNATURE] if styles else [])]
    print(f"wrote {written} (signatures: {', '.join(signatures)}; max_pixels {budget.max_pixels}, "
          f"max_request_pixels {budget.max_request_pixels}, max_batch {budget.max_batch}"
          + (f"; styles: {', '.join(styles)}" if styles else "") + ")")
    return 0


def _file(kind):
    """A LiteRT or ONNX file: one input, uint8 [batch, height, width, 3], any size."""
    given = [name for name in _SERVING_ONLY if flags.FLAGS[name].present]
    if given:
        raise UsageError(f"{', '.join('--' + name for name in given)} is for --format=savedmodel")
    output, suffix = flags.OUTPUT.value, FILE_SUFFIXES[kind]
    if not output:
        raise UsageError(f"--output is required for --format={kind} (e.g. --output=starry_night{suffix})")
    if not output.endswith(suffix):
        raise UsageError(f"--output {output}: a --format={kind} file's name ends in {suffix}")
    images.check_writable_file(output)

    import_tensorflow_quietly()
    from kstyle.feedforward.painter import painter
    from kstyle.feedforward.tiling import ONE_PIECE_PIXELS
    from kstyle.serving import litert, onnx

    writer = {"tflite": litert, "onnx": onnx}[kind]
    network, weights = _load()
    size = writer.write(painter(network, weights, flags.STRENGTH.value, in_strips=False), output)
    batch = "1" if kind == "tflite" else "batch"
    print(f"wrote {output} ({size / 1e6:.2f} MB; input and output uint8 [{batch}, height, width, 3], any size, "
          f"painted in one piece: memory grows with the image, where the SavedModel paints images over "
          f"{ONE_PIECE_PIXELS / 1e6:.1f} MP in strips)")
    return 0
