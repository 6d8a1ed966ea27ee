"""TensorFlow imported without its start-up chatter, for the command and the Python API alike.

TensorFlow's C++ logging prints CUDA and CPU-feature notices (`failed call to
cuInit`, `oneDNN custom operations are on`) before any log-level setting made
after the import applies, which would bury kstyle's one-line messages on the
command line and fill a notebook cell. Ground floor: it imports TensorFlow only
when called.
"""

import os
import sys
import tempfile

from kstyle.errors import Error


def import_tensorflow_quietly(before_ops=None, first_op=True):
    """Imports TensorFlow with its start-up chatter on stderr swallowed; returns `before_ops()`.

    The chatter is kept and shown if the import fails, or with KSTYLE_VERBOSE=1.
    TF_CPP_MIN_LOG_LEVEL is set to 2 (warnings and errors only) unless it is set
    already, so TensorFlow's later C++ notices stay quiet too.

    Args:
        before_ops: called once TensorFlow is imported and before it runs an op,
            for what TensorFlow allows only then: a multi-worker strategy is
            refused once any op has run ("Collective ops must be configured at
            program startup"). Its result is returned.
        first_op: also run one op, whose device and kernel set-up prints more
            notices. The command does; the Python API does not, since its
            caller may make a multi-worker strategy later, and only lists the
            devices (which loads CUDA, and says so, without starting the runtime).
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
            if first_op:
                _ = tf.constant(1.0) + 1.0  # Device and kernel set-up print their notices here.
            else:
                tf.config.list_physical_devices()  # cuInit and its failure, without starting the runtime
            failed = False
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if failed or verbose:
                capture.seek(0)
                sys.stderr.write(capture.read().decode(errors="replace"))
    return made
