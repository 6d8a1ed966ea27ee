"""Style networks that ship inside the package, so `kstyle transform` works with no download.

Each is a small `StyleNetwork` trained by `kstyle train` on the photos available
offline (see BENCHMARKS.md for steps, time and losses); the paintings they learned
from are public domain and are not shipped, only the weights.
"""

import os

from kstyle import samples
from kstyle.errors import UsageError

_DIRECTORY = os.path.join(os.path.dirname(__file__), "models")

# name: what the network learned.
MODELS = {
    "starry_night": "Van Gogh, The Starry Night (1889); width 8, 3 residual blocks, 3000 steps "
                    "(flags/starry_night_small.flags)",
}


# Photos no shipped network trains on, so their quality is judged on pictures they never saw
# (benchmarks/judge_networks.py, tests/feedforward/test_shipped.py): three of scikit-image's, the ones
# `make demo` shows, and one of the shared content photos (../shared/images/content).
HELD_OUT_SAMPLES = ("astronaut", "chelsea", "coffee")
HELD_OUT_SHARED = ("stata.jpg",)


def held_out_sources(shared_dir):
    """The held-out photos: `sample:NAME`s, and the shared ones found under `shared_dir`/content."""
    shared = [os.path.join(shared_dir, "content", name) for name in HELD_OUT_SHARED]
    return [f"sample:{name}" for name in HELD_OUT_SAMPLES] + [path for path in shared if os.path.exists(path)]


def training_sources(shared_dir):
    """What the shipped networks train on: every photo available offline but the held-out ones."""
    content = os.path.join(shared_dir, "content")
    shared = sorted(os.path.join(content, name) for name in os.listdir(content)
                    if name not in HELD_OUT_SHARED) if os.path.isdir(content) else []
    return shared + [f"sample:{name}" for name in samples.PHOTOS if name not in HELD_OUT_SAMPLES]


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
