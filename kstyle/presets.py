"""Presets: the absl flagfiles in the repository's `flags/`, shipped with the package.

A preset is written once, as a flagfile (`--name=value` lines, `#` comments),
and restates only what differs from the defaults. `kstyle/preset_files` is a
link to `flags/` (installed as package data), so a checkout and an installed
package find the same files;
`kstyle VERB --preset=NAME` reads one from any directory, and Python code gets
its options with `options(NAME, StylizeOptions)`. TensorFlow is not imported.

Example:
    >>> options = kstyle.presets.options("gatys", kstyle.StylizeOptions, max_size=768)
    >>> image = kstyle.stylize("photo.jpg", "painting.jpg", options=options)
"""

import os

from kstyle.errors import UsageError

DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "preset_files")
SUFFIX = ".flags"


def names():
    """The presets' names, sorted."""
    return sorted(name[:-len(SUFFIX)] for name in os.listdir(DIRECTORY) if name.endswith(SUFFIX))


def path(name):
    """The flagfile of preset `name`.

    Raises:
        UsageError: no such preset; the message lists them.
    """
    if name not in names():
        raise UsageError(f"unknown preset {name!r}; the presets are {', '.join(names())}")
    return os.path.join(DIRECTORY, name + SUFFIX)


def values(name):
    """The flags preset `name` sets, `{flag: text}` in file order (`--flag` alone is `"true"`, `--noflag` `"false"`).

    Raises:
        UsageError: an unknown preset, or a line that is not `--name=value`.
    """
    return file_values(path(name), f"preset {name}")


def file_values(flagfile, label=None):
    """The flags any flagfile sets, read as `values` reads a preset's; `label` names it in errors (its path)."""
    found = {}
    with open(flagfile) as file:
        for number, line in enumerate(file, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not line.startswith("--") or len(line) < 3:
                raise UsageError(f"{label or flagfile}, line {number}: expected --name=value, got {line!r}")
            flag, equals, value = line[2:].partition("=")
            if not equals:
                flag, value = (flag[2:], "false") if flag.startswith("no") else (flag, "true")
            found[flag] = value
    return found


def options(name, options_class, **overrides):
    """The options of preset `name` for an engine, with `overrides` on top (as later flags would be).

    Args:
        name: the preset.
        options_class: `StylizeOptions` or `TrainOptions` (any `EngineOptions`).
        **overrides: options to change, named flat like the flags.

    Raises:
        UsageError: the preset sets a flag that is not one of these options
            (a preset for the other verb), or a value that does not check.
    """
    preset = values(name)
    foreign = [flag for flag in preset if flag not in options_class.names()]
    if foreign:
        raise UsageError(f"preset {name} sets {', '.join('--' + flag for flag in foreign)}, which "
                         f"{options_class.__name__} does not have")
    return options_class.from_kwargs(**{**preset, **overrides})
