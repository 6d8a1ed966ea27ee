"""The wheel a user installs (not the editable checkout) carries every module and the shipped weights."""

import os
import subprocess
import sys
import zipfile

import kstyle
from kstyle import pretrained

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(kstyle.__file__)))


def test_wheel_holds_every_module_and_the_shipped_networks(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(tmp_path),
         ROOT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("kstyle-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    sources = {os.path.relpath(os.path.join(directory, name), ROOT)
               for directory, _, files in os.walk(os.path.join(ROOT, "kstyle"))
               for name in files if name.endswith(".py")}
    assert sources and sources <= names
    assert pretrained.names() == ["starry_night"]
    assert {f"kstyle/models/{name}.keras" for name in pretrained.names()} <= names
