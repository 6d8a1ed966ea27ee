"""The `kstyle` command's front: presets from any directory, and what a bad preset gets."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

from kstyle.cli import main as cli


def test_preset_expands_in_place_so_later_flags_override():
    expanded = cli.expand_presets(["kstyle", "stylize", "--max_size=9", "--preset=gatys", "--iterations=2"])
    assert expanded[2] == "--max_size=9" and expanded[4] == "--iterations=2"
    assert expanded[3].startswith("--flagfile=") and expanded[3].endswith("gatys.flags")
    assert cli.expand_presets(["kstyle", "--preset", "demo"])[1].endswith("demo.flags")


def test_an_unknown_preset_is_one_line_and_exit_2(capsys):
    assert cli.main(["kstyle", "stylize", "--preset=nope", "--content=a.png"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kstyle: unknown preset 'nope'; the presets are ") and err.count("\n") == 1


def test_a_preset_inside_a_flagfile_is_refused(tmp_path, capsys):
    flagfile = tmp_path / "mine.flags"
    flagfile.write_text("--preset=gatys\n")
    assert cli.main(["kstyle", "stylize", f"--flagfile={flagfile}"]) == 2
    assert "--preset works on the command line only" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["preset", "flagfile"])
def test_a_preset_works_from_any_directory(tmp_path, how):
    """`--preset=NAME` from a directory with no flags/ in it; `--flagfile=flags/NAME.flags` from the checkout."""
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    Image.fromarray(synthetic_image(30, 40).astype(np.uint8)).save(content)
    Image.fromarray(synthetic_image(40, 40, seed=1).astype(np.uint8)).save(style)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    preset, cwd = ("--preset=demo", tmp_path) if how == "preset" else ("--flagfile=flags/demo.flags", root)
    done = subprocess.run(
        [sys.executable, "-m", "kstyle", "stylize", preset, f"--content={content}", f"--style={style}",
         f"--output={tmp_path / 'out.png'}", "--vgg_weights=none", "--iterations=2", "--max_size=36",
         "--style_layers=block1_conv1", "--content_layers=block1_conv2"],
        capture_output=True, text=True, timeout=300, cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert "2 iterations" in done.stdout and Image.open(tmp_path / "out.png").size == (36, 27)
