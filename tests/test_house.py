"""The house as drawn from the code's imports: wings that depend one way, a front door without TensorFlow."""

import ast
import os
import subprocess
import sys

import pytest

import kstyle

PACKAGE = os.path.dirname(os.path.abspath(kstyle.__file__))
GROUND = {"errors", "images", "video", "checks", "samples", "finder", "presets", "files", "periodicity", "progress",
          "startup"}
# What each part may import from kstyle, besides itself and the ground floor.
ALLOWED = {
    "ground": set(),
    "perceptual": set(),
    "gatys": {"perceptual"},
    "feedforward": {"perceptual"},
    # The network, how it paints a picture of any size, and what an export says of it.
    "serving": {"feedforward.network", "feedforward.painter", "feedforward.exported"},
    "cli": {"perceptual", "gatys", "feedforward", "serving", "beam"},
    # Batch stylization on Beam: the networks as transform loads them (runtimes included).
    "beam": {"feedforward", "serving.runtimes"},
}


def part(module):
    first = module.split(".")[1] if module.count(".") else ""
    if module.endswith(".__main__"):  # `python -m kstyle` and `python -m kstyle.beam` are commands
        return "cli"
    return "ground" if first in GROUND or first == "" else first


def kstyle_imports(path):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kstyle"):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("kstyle"))


def modules():
    for directory, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                relative = os.path.relpath(os.path.join(directory, name), os.path.dirname(PACKAGE))
                yield relative[:-3].replace(os.sep, ".").removesuffix(".__init__"), os.path.join(directory, name)


@pytest.mark.parametrize("module, path", sorted(modules()))
def test_dependencies_run_one_way(module, path):
    own = part(module)
    for imported in kstyle_imports(path):
        target = imported.removeprefix("kstyle.")
        other = part(imported)
        if other in ("ground", own) or (own == "ground" and target.split(".")[0] in GROUND):
            continue
        assert any(target == allowed or target.startswith(allowed + ".") or allowed.startswith(target)
                   for allowed in ALLOWED[own]), f"{module} imports {imported}"
        assert other != "cli", f"{module} imports the CLI"


def test_the_front_door_needs_no_tensorflow():
    """Flags, options, plans, presets and finding inputs: checked before TensorFlow loads."""
    code = ("import sys; import kstyle.cli.flags, kstyle.gatys.plan, kstyle.feedforward.options, kstyle.finder, "
            "kstyle.presets; heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')); "
            "print(heavy); sys.exit(bool(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_python_api_imports_tensorflow_without_its_start_up_chatter():
    """`kstyle.stylize` in a script or notebook shows what the command shows of TensorFlow: nothing (issue 27)."""
    code = ("import kstyle; kstyle.StyleNetwork; import tensorflow as tf; print(float(tf.constant(1.0) + 1.0)); "
            "import os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("TF_CPP_MIN_LOG_LEVEL", "KSTYLE_VERBOSE")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=environment)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2.0", "2"] and done.stderr == ""
