"""The exceptions kstyle raises, so callers can tell a user's mistake from a bug.

Everything kstyle refuses is an `Error` with a message a user can act on; the CLI
prints it as one line and exits 1, or 2 for a `UsageError` (a bad option value).
"""

import re


class Error(Exception):
    """Something kstyle cannot do with the input it was given (exit status 1)."""


class UsageError(Error):
    """An option or flag value that can never work, whatever the files (exit status 2)."""


class ImageError(Error):
    """An image that cannot be read, decoded, or written."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a long run, carrying the latest image so it is not lost.

    It subclasses KeyboardInterrupt so that code which does not know about it
    still stops as usual.

    Attributes:
        image: the latest image, uint8 `[height, width, 3]`.
        step: the number of steps completed.
    """

    def __init__(self, image, step):
        super().__init__(f"interrupted after step {step}")
        self.image = image
        self.step = step


INTERRUPTS = (KeyboardInterrupt, SystemError)
"""What Ctrl-C can surface as: catch these, then re-raise unless `is_interrupt`."""


def is_interrupt(error):
    """True for Ctrl-C or SIGTERM (a KeyboardInterrupt), also when it struck inside C code.

    A signal handler that raises while NumPy or TensorFlow is inside C code can
    surface as `SystemError: ... returned a result with an exception set`, with
    the KeyboardInterrupt as its cause; TensorFlow's own error handler re-raises
    that `from None`, which drops the cause but keeps it as the context. Either
    way it is still the user's interrupt.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def first_line(error, limit=160):
    """The first line of an exception's message, for one-line reports of other libraries' errors.

    TensorFlow's wrapping is left out: the `{{function_node ...}}` before its
    message and the `[Op:...]` after it name its internals, not the problem.
    """
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", str(error)).strip() or type(error).__name__
    return re.sub(r"\s*\[Op:[^\]]*\]$", "", text.splitlines()[0])[:limit]


def write_failure(error):
    """Why a write failed, in the system's words: an OSError's, or the end of TensorFlow's `PATH; REASON`."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return first_line(error, limit=10_000).rsplit("; ", 1)[-1][:160]
