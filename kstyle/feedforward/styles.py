"""The styles a network learns, by name: `starry_night.jpg` paints `starry_night`.

TensorFlow is not imported, so `kstyle train` reads and names its paintings
before loading it.
"""

import os

from kstyle import images
from kstyle.errors import UsageError


def named(styles):
    """Returns `{name: float 0-255 painting}`, the styles a network learns, in order.

    A painting given by path is named for its file (`starry_night.jpg` paints
    `starry_night`), a `sample:NAME` for NAME; one given as pixels is `style`
    (`style1`, `style2`, ... for several). Names are what `--blend` and
    `--model` use later.

    Raises:
        UsageError: no painting, two with the same name, or a name `--blend`
            could not say (empty, or with `,` or `:`).
    """
    if isinstance(styles, dict):
        pairs = [(str(name), image) for name, image in styles.items()]
    else:
        given = list(styles) if isinstance(styles, (list, tuple)) else [styles]
        pairs = [(_name(image, index, len(given)), image) for index, image in enumerate(given)]
    if not pairs:
        raise UsageError("give at least one style image")
    names = [name for name, _ in pairs]
    unsayable = [name for name in names if not name or "," in name or ":" in name]
    if unsayable:
        raise UsageError(f"style name {unsayable[0]!r} cannot be used in --blend (no ',' or ':'); rename the file")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"two style images are both named {', '.join(repeated)} (a style is named for its "
                         "file); rename one")
    return {name: images.read_image(image) for name, image in pairs}


def _name(image, index, count):
    if isinstance(image, (str, os.PathLike)):
        text = os.fspath(image)
        return text[len("sample:"):] if text.startswith("sample:") else os.path.splitext(os.path.basename(text))[0]
    return "style" if count == 1 else f"style{index + 1}"
