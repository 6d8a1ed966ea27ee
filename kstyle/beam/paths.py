"""Which files a pipeline reads, and where each one's picture goes.

A pattern is any Beam file pattern (a local path, `gs://`, `s3://`...): a file,
a glob (`*` within a directory, `**` across them), or a directory (a local one,
or any path ending in `/`), which means every image under it. The output keeps
each file's path relative to its pattern's fixed part (what precedes the first
wildcard, up to a `/`), so `photos/**` and `photos/` write `photos/2024/a.jpg`
to `OUTPUT/2024/a.png`, and a named file goes to `OUTPUT/` by its own name.

No TensorFlow and no Beam here: the launcher checks its patterns with these in
a fraction of a second.
"""

import os
import posixpath
import re

from kstyle import images

# The image formats a pipeline writes: the extension of each.
FORMATS = {"png": ".png", "jpeg": ".jpg"}
_WILDCARD = re.compile(r"[*?\[]")


class Pattern:
    """One `--input` pattern: what to match, the fixed part outputs are relative to, and whether to filter.

    Attributes:
        glob: the pattern to match (`DIR/**` for a directory).
        base: the fixed part of the pattern, ending in its separator.
        everything: True when the pattern names a directory or a glob, whose
            matches are only taken if they look like images (not hidden files,
            an image extension); a file named outright is always taken.
    """

    def __init__(self, pattern):
        self.given = pattern
        directory = pattern.endswith("/") or (_is_local(pattern) and os.path.isdir(pattern))
        self.glob = pattern.rstrip("/") + "/**" if directory else pattern
        wild = _WILDCARD.search(self.glob)
        fixed = self.glob[:wild.start()] if wild else self.glob
        self.base = fixed[:_last_separator(fixed) + 1]
        self.everything = bool(wild)

    def takes(self, path):
        """Whether a match of this pattern is an input (see `everything`)."""
        if not self.everything:
            return True
        name = _basename(path)
        return not name.startswith(".") and os.path.splitext(name)[1].lower() in images.READABLE_EXTENSIONS

    def relative(self, path):
        """`path` relative to the pattern's fixed part, with `/` separators."""
        relative = path[len(self.base):] if path.startswith(self.base) else _basename(path)
        return relative.replace(os.sep, "/").lstrip("/")

    def __repr__(self):
        return f"Pattern({self.given!r})"


def split_patterns(text):
    """`--input` as a list of patterns: comma-separated (a list flag), each stripped, none empty."""
    items = text if isinstance(text, (list, tuple)) else str(text).split(",")
    return [item.strip() for item in items if item and item.strip()]


def target(output, relative, image_format):
    """Where the picture of the input at `relative` goes: under `output`, its extension the format's."""
    stem = os.path.splitext(relative)[0]
    return output.rstrip("/") + "/" + stem + FORMATS[image_format]


def temporary(path, token):
    """A hidden name beside `path` to write it under before the rename (`token` makes it this attempt's)."""
    cut = _last_separator(path) + 1
    return f"{path[:cut]}.{path[cut:]}.{token}.partial"


def failures_file(output):
    """The text file listing the inputs that failed, one `path: reason` per line."""
    return output.rstrip("/") + "/failures.txt"


def _is_local(pattern):
    return "://" not in pattern


def _last_separator(path):
    return max(path.rfind("/"), path.rfind(os.sep) if os.sep != "/" else -1)


def _basename(path):
    return posixpath.basename(path.replace(os.sep, "/"))
