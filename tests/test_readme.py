"""The README is current: its first screen runs as written, its Python compiles, and every kstyle name it shows exists."""

import ast
import configparser
import importlib
import os
import re
import site
import subprocess
import sys
import sysconfig

import pytest
from PIL import Image

from kstyle import images

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
TEXT = open(README).read()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)


def resolve(dotted):
    """Imports the longest module prefix of `dotted` and walks the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def test_there_is_python_to_check():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_each_block_compiles_and_its_imports_resolve(block):
    tree = ast.parse(block)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name) or importlib.import_module(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)


# Dotted names that are file names (`assets.extra/kstyle.json`), not Python names: left out, not skipped.
NAMES = sorted(name for name in set(re.findall(r"\bkstyle(?:\.[A-Za-z_]\w*)+", TEXT))
               if not name.endswith(("_flags", ".flags", ".keras", ".json")))


def test_there_are_names_to_check():
    assert len(NAMES) >= 10


@pytest.mark.parametrize("dotted", NAMES)
def test_every_kstyle_name_in_the_text_exists(dotted):
    resolve(dotted)


FIRST_SCREEN = re.search(r"```\n(.*?)```", TEXT, re.S).group(1)
SET_UP = ("make demo", ". .venv/bin/activate")


def _commands(block):
    """The block's shell commands, comments and blank lines dropped."""
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_the_first_screen_sets_up_then_runs_each_verb():
    commands = _commands(FIRST_SCREEN)
    assert tuple(commands[:2]) == SET_UP
    assert [command.split()[:2] for command in commands[2:]] == [
        ["kstyle", "stylize"], ["kstyle", "transform"], ["kstyle", "train"], ["kstyle", "export"]]
    assert TEXT.index(FIRST_SCREEN) < 1500  # on the first screen, after the title and the picture


def _installed_like_make_demo(checkout):
    """`.venv` in `checkout` as `make demo` leaves it, from the packages already here.

    A real venv, whose `kstyle` script is the console script setup.cfg
    declares, importing this tree and the installed dependencies: what
    `pip install -e .[demo]` writes, without downloading them again; and the
    folder the demo's pictures go to.
    """
    venv = checkout / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    with open(os.path.join(purelib, "kstyle_checkout.pth"), "w") as pth:
        pth.write("\n".join([ROOT, *site.getsitepackages()]) + "\n")
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    name, target = [part.strip() for part in config["options.entry_points"]["console_scripts"].split("=")]
    module, function = target.split(":")
    script = venv / "bin" / name
    script.write_text(f"#!{venv}/bin/python\nimport sys\nfrom {module} import {function}\n"
                      f"sys.exit({function}())\n")
    script.chmod(0o755)
    (checkout / "out" / "demo").mkdir(parents=True)  # where `make demo` writes its pictures


def test_the_first_screen_runs_as_written_in_a_clean_shell(tmp_path):
    """After `make demo`, the first screen's commands in a new shell, one with no kstyle on its PATH."""
    _installed_like_make_demo(tmp_path)
    script = "\n".join(["set -e", *_commands(FIRST_SCREEN)[1:]])
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=clean, capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert Image.open(tmp_path / "out" / "cat.png").size[0] == 256  # --preset=demo's size
    height, width = images.read_image("sample:coffee").shape[:2]
    assert Image.open(tmp_path / "out" / "coffee.png").size == (width, height)
    assert (tmp_path / "runs" / "smoke" / "network.keras").is_file()
    assert (tmp_path / "export" / "models" / "smoke" / "1" / "saved_model.pb").is_file()


def _undefined_names(block):
    """The names `block` reads without defining or importing them (a snippet that needs the reader's data)."""
    import builtins
    tree = ast.parse(block)
    defined = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            and node.id not in defined}


SELF_CONTAINED = [block for block in BLOCKS if not _undefined_names(block) and ".jpg" not in block]


def test_there_is_a_self_contained_snippet():
    assert SELF_CONTAINED


@pytest.mark.parametrize("block", SELF_CONTAINED, ids=[f"snippet{i}" for i in range(len(SELF_CONTAINED))])
def test_each_self_contained_snippet_runs(block):
    """A snippet that names no file of the reader's runs as written (the pieces: VGG16 features, a Gram matrix)."""
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    if "gram" in namespace:
        assert tuple(namespace["gram"].shape) == (1, 64, 64)


FLAG_TABLE = TEXT.split("kstyle stylize --help` lists")[1].split("\n## ")[0]  # the table under that sentence
STYLIZE_ROWS = re.findall(r"^\| `--(\w+)` \| ([^|]*) \|", FLAG_TABLE, re.M)


def test_the_stylize_flag_table_gives_the_defaults_the_code_has():
    from kstyle.gatys.options import StylizeOptions
    defaults = StylizeOptions().restated()  # scales as a count, as the flag takes it
    checked = 0
    for name, shown in STYLIZE_ROWS:
        shown = shown.strip().strip("`")
        if name not in defaults or not re.fullmatch(r"[\w.]+", shown) or shown in ("off", "equal", "automatic"):
            continue  # a described default ("equal", "off", "automatic") or an abbreviated list
        value = defaults[name]
        if isinstance(value, tuple):  # layers as (name, weight) pairs, which the table names without weights
            value = ",".join(item[0] if isinstance(item, tuple) else str(item) for item in value)
        assert shown == (f"{value:g}" if isinstance(value, float) else str(value)), name
        checked += 1
    assert checked >= 10, STYLIZE_ROWS
