"""What the command prints: one-line errors, and the library's notices as `kstyle: ...` lines."""

import contextlib
import logging
import sys

PROGRAM = "kstyle"


def print_error(error, status):
    """Prints `error` as one line on stderr and returns `status`."""
    message = " ".join(str(error).split())
    print(f"\n{PROGRAM}: {message}" if status == 130 else f"{PROGRAM}: {message}", file=sys.stderr, flush=True)
    return status


@contextlib.contextmanager
def library_notices():
    """While a verb runs, prints what the library says on the `kstyle` logger (the VGG16 fallback) as `kstyle: ...`.

    The library warns through `logging` rather than printing; absl's handler
    would prefix each line with a date, a thread and a source file. The logger
    is put back afterwards, so a program (or a test) that calls the command in
    process gets its own logging back.
    """
    logger = logging.getLogger(PROGRAM)
    handler = _Stderr()
    handler.setFormatter(logging.Formatter(f"{PROGRAM}: %(message)s"))
    saved = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = saved


class _Stderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes (a test's capture, say), not the one at start."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        del value
