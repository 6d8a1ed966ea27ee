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
    assert len(shipped.names()) == 10  # five paintings, at full size and at half size (_fast)
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


def _discovered_packages():
    """The packages setup.cfg's discovery finds, as setuptools would (`find:` or `find_namespace:`)."""
    import configparser

    import setuptools
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    how = config["options"]["packages"].strip()
    found = config["options.packages.find"]

    def listed(key):
        return [item.strip() for item in found.get(key, "").replace("\n", ",").split(",") if item.strip()]

    finder = {"find:": setuptools.find_packages, "find_namespace:": setuptools.find_namespace_packages}[how]
    return set(finder(where=ROOT, include=listed("include"), exclude=listed("exclude")))


def test_every_shipped_directory_is_a_package_so_setuptools_does_not_warn():
    """Newer setuptools warns, about 40 lines at every `make demo`, of a shipped directory missing from `packages`.

    The cause, not the symptom: each directory under kstyle/ holding a module or
    package data (the presets in preset_files/, the networks in models/) is in
    setup.cfg's discovered packages, and nothing else is (no __pycache__).
    """
    shipped_suffixes = (".py", ".flags", ".keras")
    holders = {os.path.relpath(directory, ROOT).replace(os.sep, ".")
               for directory, _, files in os.walk(os.path.join(ROOT, "kstyle"), followlinks=True)
               if "__pycache__" not in directory and any(name.endswith(shipped_suffixes) for name in files)}
    packages = _discovered_packages()
    assert "kstyle.preset_files" in holders
    assert holders <= packages
    assert not [name for name in packages if "__pycache__" in name]
