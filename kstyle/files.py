"""Writing a file so that nobody sees half of it and a failure leaves nothing behind."""

import os
import tempfile


def write_atomically(path, data):
    """Writes bytes to `path` through a hidden temporary file beside it, then a rename.

    The temporary file is created exclusively under an unguessable name (never
    a file or link already there), gets the permissions a new file would (0644
    under the usual umask, not mkstemp's 0600), and is removed on any failure.

    Raises:
        OSError: the directory cannot be written.
    """
    directory, name = os.path.split(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(file.fileno(), 0o666 & ~umask)
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
