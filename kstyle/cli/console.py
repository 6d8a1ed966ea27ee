"""What the command prints: one-line errors, and TensorFlow without its start-up noise."""

import os
import sys
import tempfile

from kstyle.errors import Error

PROGRAM = "kstyle"


def print_error(error, status):
    """Prints `error` as one line on stderr and returns `status`."""
    message = " ".join(str(error).split())
    print(f"\n{PROGRAM}: {message}" if status == 130 else f"{PROGRAM}: {message}", file=sys.stderr, flush=True)
    return status


def import_tensorflow_quietly(before_ops=None):
    """Imports TensorFlow with its start-up chatter on stderr swallowed; returns `before_ops()`.

    TensorFlow's C++ logging prints CUDA and CPU-feature notices before any
    log-level setting applies, which would bury kstyle's one-line messages. The
    chatter is kept and shown if the import fails, or with KSTYLE_VERBOSE=1.

    Args:
        before_ops: called once TensorFlow is imported and before it runs an op,
            for what TensorFlow allows only then: a multi-worker strategy is
            refused once any op has run ("Collective ops must be configured at
            program startup"). Its result is returned.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return before_ops() if before_ops else None
    verbose = os.environ.get("KSTYLE_VERBOSE")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        failed = True
        try:
            import tensorflow as tf
            try:
                made = before_ops() if before_ops else None
            except Error:
                failed = False  # kstyle's own one-line message says what is wrong
                raise
            _ = tf.constant(1.0) + 1.0  # Device and kernel set-up print their notices here.
            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if failed or verbose:
                capture.seek(0)
                sys.stderr.write(capture.read().decode(errors="replace"))
    return made
