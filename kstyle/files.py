"""Writing a file so that nobody sees half of it and a failure leaves nothing behind."""

import os
import tempfile

from kstyle.errors import Error, write_failure


def write_atomically(path, data):
    """Writes bytes to `path` through a hidden temporary file beside it, then a rename.

    The temporary file is created exclusively under an unguessable name (never
    a file or link already there), gets the permissions a new file would (0644
    under the usual umask, not mkstemp's 0600), and is removed on any failure.

    Raises:
        Error: the file cannot be written (the directory is not writable, the disk is full).
    """
    directory, name = os.path.split(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".partial")
    except OSError as error:
        raise Error(f"{path}: cannot write in {directory} ({write_failure(error)})") from None
    try:
        with os.fdopen(handle, "wb") as file:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(file.fileno(), 0o666 & ~umask)
            file.write(data)
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise Error(f"{path}: cannot write it ({write_failure(error)})") from None
        raise
