"""The wheel a user installs (not the editable checkout) carries every module and the shipped weights."""

import os
import subprocess
import sys
import zipfile

import kstyle
from kstyle import presets
from kstyle.feedforward import shipped

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
    assert len(shipped.names()) == 5
    assert {f"kstyle/feedforward/models/{network.file}" for network in shipped.NETWORKS} <= names
    # The presets in flags/ travel as package data, so --preset works after a pip install.
    assert presets.names() and {f"kstyle/preset_files/{name}.flags" for name in presets.names()} <= names
    # Installed from the wheel, away from the checkout, the presets are found and read.
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                           str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                           "from kstyle import presets; print(presets.DIRECTORY, presets.values('gatys'))",
                           str(target)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(target)) and "'pooling': 'avg'" in done.stdout
