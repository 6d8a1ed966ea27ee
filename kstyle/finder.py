"""Finding input images: files, folders, globs and built-in samples, for `transform` and `train`.

One set of rules for every verb that takes many images: a comma-separated list
(or a sequence) of sources, each a file, a folder, a glob, `sample:NAME` or
`sample:photos` (every built-in photo); `~` is expanded, because a shell leaves
it alone in `--input=~/photos`. A folder is listed in name order, recursively
if asked; a source that matches nothing is a `UsageError` naming the option.
TensorFlow is not imported.
"""

import glob
import os
from typing import NamedTuple

from kstyle import checks, samples
from kstyle.errors import UsageError
from kstyle.images import READABLE_EXTENSIONS, SAMPLE_PREFIX

_GLOB_CHARACTERS = "*?["


class Found(NamedTuple):
    """What the sources named.

    Attributes:
        sources: file paths and `sample:NAME`s, in the order given (each
            folder's and glob's sorted), each once.
        several: True if a folder, a glob or `sample:photos` was given, or more
            than one source: the caller should expect many images, not one.
    """
    sources: tuple
    several: bool


def find_images(sources, *, option, recursive=False, extensions=READABLE_EXTENSIONS):
    """Lists the images that `sources` name.

    Args:
        sources: a comma-separated string or a sequence of sources (see above).
        option: the option's name, for error messages (`--input`).
        recursive: search folders' subfolders too.
        extensions: the file endings a folder is searched for; None takes every
            file (the caller then decides what it can read). Files named
            directly and glob matches are taken as they are.

    Raises:
        UsageError: a folder without images, a glob or path matching nothing,
            an unknown sample.
    """
    items = checks.items(option, sources)
    found, several = [], len(items) > 1
    for source in items:
        if source.startswith(SAMPLE_PREFIX):
            names = _samples(source[len(SAMPLE_PREFIX):], option)
            found += [SAMPLE_PREFIX + name for name in names]
            several = several or len(names) > 1
            continue
        source = os.path.expanduser(source)
        if os.path.isdir(source):
            found += _folder(source, recursive, extensions, option)
            several = True
        elif any(character in source for character in _GLOB_CHARACTERS):
            matches = sorted(path for path in glob.glob(source, recursive=True) if os.path.isfile(path))
            if not matches:
                raise UsageError(f"{option} {source}: matches no files")
            found += matches
            several = True
        else:
            found.append(source)
    return Found(tuple(dict.fromkeys(found)), several)


def _samples(name, option):
    if name == samples.ALL_PHOTOS:
        return samples.PHOTOS
    if name not in samples.sample_names():
        raise UsageError(f"{option}: no built-in sample {name!r}; the samples are {samples.ALL_PHOTOS}, "
                         f"{', '.join(samples.sample_names())}")
    return (name,)


def _folder(directory, recursive, extensions, option):
    if recursive:
        paths = [os.path.join(root, name) for root, _, names in os.walk(directory) for name in names]
    else:
        paths = [os.path.join(directory, name) for name in os.listdir(directory)]
    paths = sorted(path for path in paths if os.path.isfile(path)
                   and (extensions is None or path.lower().endswith(extensions)))
    if not paths:
        raise UsageError(f"{option} {directory}: no images in this directory")
    return paths


def check_present(found, option):
    """Refuses a path in `found` that does not exist (files named directly are taken as given).

    For callers that read the files later, after a long start (training loads
    VGG16 first): the typo is refused now.

    Raises:
        UsageError: names the first missing path.
    """
    missing = [path for path in found.sources if not path.startswith(SAMPLE_PREFIX) and not os.path.exists(path)]
    if missing:
        raise UsageError(f"{option}: {missing[0]} matches no files")
