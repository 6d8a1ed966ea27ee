"""Presets: shipped flagfiles that state only what differs, usable from flags and from Python."""

import dataclasses

import pytest

from kstyle import presets
from kstyle.errors import UsageError
from kstyle.feedforward.options import TrainOptions
from kstyle.gatys.options import StylizeOptions

STYLIZE = ("demo", "gatys", "tutorial")
TRAIN = ("johnson", "paintings", "smoke", "starry_night_small")


def test_the_shipped_presets_are_the_flags_folder():
    assert presets.names() == sorted(STYLIZE + TRAIN)
    assert presets.path("gatys").endswith("gatys.flags")


@pytest.mark.parametrize("name", STYLIZE + TRAIN)
def test_each_preset_restates_only_what_differs(name):
    options_class = StylizeOptions if name in STYLIZE else TrainOptions
    options = presets.options(name, options_class)
    defaults = options_class().flat()
    values = options.flat()
    set_here = presets.values(name)
    assert set_here, f"{name} sets nothing"
    for flag in set_here:
        assert values[flag] != defaults[flag], f"{name} restates the default --{flag}"


def test_values_and_options():
    assert presets.values("gatys") == {"pooling": "avg", "iterations": "500", "init": "content"}
    options = presets.options("tutorial", StylizeOptions, optimizer="lbfgs")  # a later flag overrides
    assert (options.optimizer, options.iterations, options.perceptual.gram_normalization) == ("lbfgs", 1000, "hw")
    assert options.init == "content"  # the tutorial starts from the photo, whatever the default start
    assert options.perceptual.content_layers == (("block5_conv2", 1.0),)
    assert dataclasses.replace(options.perceptual) == options.perceptual


def test_a_preset_for_the_other_verb_or_an_unknown_one_is_refused():
    with pytest.raises(UsageError, match="preset johnson sets --checkpoint_every, which StylizeOptions does not"):
        presets.options("johnson", StylizeOptions)
    with pytest.raises(UsageError, match="unknown preset 'gatsy'; the presets are demo, gatys"):
        presets.path("gatsy")


def test_flag_syntax(tmp_path, monkeypatch):
    monkeypatch.setattr(presets, "DIRECTORY", str(tmp_path))
    (tmp_path / "mine.flags").write_text("# comment\n\n--jit_compile\n--nopreserve\n--max_size=64\n")
    assert presets.values("mine") == {"jit_compile": "true", "preserve": "false", "max_size": "64"}
    (tmp_path / "bad.flags").write_text("max_size=64\n")
    with pytest.raises(UsageError, match="preset bad, line 1: expected --name=value"):
        presets.values("bad")
