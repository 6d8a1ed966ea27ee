"""Style networks that ship inside the package, so `kstyle transform` works with no download.

Each is a small `StyleNetwork` trained by `kstyle train` on the photos available
offline (see BENCHMARKS.md for steps, time and losses); the paintings they learned
from are public domain and are not shipped, only the weights.
"""

import os

from kstyle.errors import UsageError

_DIRECTORY = os.path.join(os.path.dirname(__file__), "models")

# name: what the network learned.
MODELS = {
    "starry_night": "Van Gogh, The Starry Night (1889); width 8, 3 residual blocks, 3000 steps "
                    "(flags/starry_night_small.flags)",
}


def names():
    """Returns the shipped models' names, those whose weights are present."""
    return sorted(name for name in MODELS if os.path.exists(path(name)))


def path(name):
    """Returns the `.keras` file of the shipped model `name`."""
    return os.path.join(_DIRECTORY, f"{name}.keras")


def resolve(model):
    """Returns the file for `model`: a shipped name, or the path itself.

    Raises:
        UsageError: neither a shipped model nor an existing file or directory.
    """
    if model in MODELS and os.path.exists(path(model)):
        return path(model)
    if os.path.exists(model):
        return model
    known = ", ".join(names()) or "none"
    raise UsageError(f"model: {model!r} is neither a shipped model ({known}) nor an existing file")
