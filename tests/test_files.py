"""kstyle.files: a file written whole or not at all, and a failure said in one line."""

import errno
import os

import pytest

from kstyle import files
from kstyle.errors import Error


def test_a_file_is_written_whole_with_the_usual_permissions(tmp_path):
    path = tmp_path / "model.tflite"
    files.write_atomically(str(path), b"flatbuffer")
    umask = os.umask(0)
    os.umask(umask)
    assert path.read_bytes() == b"flatbuffer" and path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["model.tflite"]


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    def full(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    path = tmp_path / "model.tflite"
    with pytest.raises(Error, match=f"^{path}: cannot write it \\(No space left on device\\)$"):
        files.write_atomically(str(path), b"flatbuffer")
    assert os.listdir(tmp_path) == []
    with pytest.raises(Error, match=f"^{tmp_path}/missing/x: cannot write in {tmp_path}/missing "):
        files.write_atomically(str(tmp_path / "missing" / "x"), b"")
