"""What an exported network says about itself, for whoever loads it: its styles and its blend signature.

`kstyle.serving.savedmodel` writes it; `kstyle.feedforward.apply` reads it to
blend with a SavedModel as with a `.keras` file. TensorFlow is not imported.
"""

import json
import os
import re

BLEND_SIGNATURE = "blend"  # added to the SavedModel of a network of named styles
DESCRIPTION_FILE = os.path.join("assets.extra", "kstyle.json")  # {"styles": [...], "serving_default": {...}}


def describe(styles, style_weights, strength):
    """The description of an export: its styles, and what `serving_default` paints."""
    return {"styles": list(styles), "serving_default": {
        "style_weights": None if style_weights is None else [float(w) for w in style_weights],
        "strength": 1.0 if strength is None else float(strength)}}


def style_names(version_dir):
    """The style names of an exported version, in its `blend` signature's order (empty: no such signature)."""
    return tuple(_description(version_dir).get("styles", ()))


def made_with(version_dir):
    """`(style_weights, strength)`: what the version's `serving_default` paints (weights None: no named styles).

    A version written before descriptions were is taken to paint at full strength.
    """
    made = _description(version_dir).get("serving_default", {})
    return made.get("style_weights"), float(made.get("strength", 1.0))


def _description(version_dir):
    path = os.path.join(version_dir, DESCRIPTION_FILE)
    if not os.path.exists(path):
        return {}
    with open(path) as file:
        return json.load(file)


def refusal(message):
    """The words of a served model's refusal (its guards' messages start `kstyle: `), or None for another error.

    TensorFlow wraps an assertion as `assertion failed: [kstyle: ... got] [6400]`;
    this gives `... got 6400`.
    """
    found = re.search(r"\[kstyle: ([^\]]*)\](?: \[([^\]]*)\])?", message)
    if not found:
        return None
    return found.group(1) + (f" {found.group(2)}" if found.group(2) else "")
