"""The forms a trained network comes in, told apart (and its styles read) without TensorFlow.

`kstyle train` writes a `.keras` file; `kstyle export` writes a SavedModel
version inside an export directory (`DIR/1`, `DIR/2`, ...), a LiteRT `.tflite`
file or an ONNX `.onnx` file; a shipped style is named. `locate` says which one
`--model` is, taking an export directory to its latest version as TF Serving
does, and `check_choice` refuses a blend the network cannot paint, so a mistake
costs no model load.
"""

import json
import os
import zipfile
from typing import NamedTuple

from kstyle.errors import Error, UsageError
from kstyle.feedforward import blend as blends
from kstyle.feedforward import exported, shipped

KERAS, SAVEDMODEL, TFLITE, ONNX = "keras", "savedmodel", "tflite", "onnx"
FILE_FORMS = {".tflite": TFLITE, ".onnx": ONNX}
_SAVED_MODEL_FILE = "saved_model.pb"


class Model(NamedTuple):
    """A network on disk: where, in which form, and the shipped style its name picked (or None)."""
    path: str
    form: str
    style: str = None


def locate(model):
    """The `Model` that `model` (a shipped style, a file, a version or an export directory) names.

    Raises:
        UsageError: neither a shipped style nor an existing path.
        Error: a directory that holds no SavedModel, directly or as numbered versions.
    """
    found = shipped.find(model)
    if os.path.isdir(found.path):
        return Model(latest_version(found.path), SAVEDMODEL, found.style)
    form = FILE_FORMS.get(os.path.splitext(found.path)[1].lower(), KERAS)
    return Model(found.path, form, found.style)


def latest_version(directory):
    """`directory` itself if it is a SavedModel, else its highest numbered version (TF Serving's choice).

    Raises:
        Error: neither.
    """
    if os.path.exists(os.path.join(directory, _SAVED_MODEL_FILE)):
        return directory
    versions = [int(name) for name in os.listdir(directory)
                if name.isdigit() and os.path.exists(os.path.join(directory, name, _SAVED_MODEL_FILE))]
    if not versions:
        raise Error(f"{directory}: neither a SavedModel nor an export directory of numbered versions "
                    "(kstyle export --export_dir writes one)")
    return os.path.join(directory, str(max(versions)))


def style_names(model):
    """The style names `model` paints, in its order; None when its file cannot say (loading will)."""
    if model.form == SAVEDMODEL:
        return exported.style_names(model.path)
    if model.form != KERAS:
        return ()  # a LiteRT or ONNX file paints what it was exported with
    try:
        with zipfile.ZipFile(model.path) as archive:
            config = json.loads(archive.read("config.json"))
        return tuple(config["config"].get("styles", ()))
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile):
        return None


def check_choice(model, blend, strength, name):
    """Refuses, before anything loads, a blend or strength `model` cannot paint.

    Args:
        model: a `Model`.
        blend: `--blend` (or a `--style` name), or None.
        strength: `--strength`, or None.
        name: what the user called the model, for messages.

    Raises:
        UsageError: a style name the network does not paint, several styles
            and nothing saying which, or a blend or strength for a file that
            paints one picture.
    """
    if model.form in (TFLITE, ONNX):
        given = [flag for flag, value in (("--blend", blend), ("--strength", strength)) if value is not None]
        if given:
            raise UsageError(f"{' and '.join(given)}: {model.path} paints what it was exported with; export it "
                             "again with them (kstyle export --blend/--strength), or give the .keras network")
        return
    styles = style_names(model)
    if model.form == SAVEDMODEL:
        if blend is not None and styles:
            blends.weights(blend, styles)
        elif blend is not None:
            raise UsageError(f"--blend: {model.path} has no {exported.BLEND_SIGNATURE} signature (exported for one "
                             "style without a name); export the network again to blend")
        return
    if styles is not None:
        blends.choose(styles, blend, model.style, name)
