"""What the command prints: one-line errors, and the library's notices as `kstyle: ...` lines."""

import logging
import sys


PROGRAM = "kstyle"


def print_error(error, status):
    """Prints `error` as one line on stderr and returns `status`."""
    message = " ".join(str(error).split())
    print(f"\n{PROGRAM}: {message}" if status == 130 else f"{PROGRAM}: {message}", file=sys.stderr, flush=True)
    return status


def show_library_notices():
    """Prints what the library says on the `kstyle` logger (the VGG16 fallback) as `kstyle: ...` lines.

    The library warns through `logging` rather than printing; absl's handler
    would prefix each line with a date, a thread and a source file.
    """
    logger = logging.getLogger(PROGRAM)
    if not any(isinstance(handler, _Stderr) for handler in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter(f"{PROGRAM}: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)


class _Stderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes (a test's capture, say), not the one at start."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        del value
