"""A run's record and the check of a new run against it, without TensorFlow."""

import json
import subprocess
import sys

import pytest
from conftest import synthetic_image

from kstyle.errors import Error, UsageError
from kstyle.feedforward import run_record
from kstyle.feedforward.options import TrainOptions

TINY = dict(width=4, residual_blocks=1, crop_size=32, batch_size=2, style_size=48)
STYLES = {"style": synthetic_image(8, 8)}


def test_every_option_is_refused_said_or_free_on_resume():
    """A new option must be sorted here: tied to the checkpoints (refused), a change of the loss or its data
    that fine-tuning may make (said before training on), or neither (how long, how often, where)."""
    groups = (run_record.SETTINGS, run_record.TUNABLES, run_record.FREE)
    named = [name for group in groups for name in group]
    assert sorted(named) == sorted(TrainOptions.names())  # every option once
    options = TrainOptions.from_kwargs(**TINY)
    assert set(run_record.settings(options, STYLES)) == {*run_record.SETTINGS, "style", "styles"}
    assert set(run_record.tunables(options)) == set(run_record.TUNABLES)


def _recorded(model_dir, options, styles=STYLES):
    model_dir.mkdir()
    record = {**run_record.settings(options, styles), **run_record.tunables(options)}
    (model_dir / run_record.CONFIG_FILE).write_text(json.dumps(record))


def test_a_run_with_other_settings_or_paintings_is_refused(tmp_path):
    _recorded(tmp_path / "run", TrainOptions.from_kwargs(**TINY))
    with pytest.raises(UsageError, match="holds a run with other settings \\(width 4 -> 8"):
        run_record.check(TrainOptions.from_kwargs(**{**TINY, "width": 8}), STYLES, str(tmp_path / "run"))
    with pytest.raises(UsageError, match="other settings \\(style "):
        run_record.check(TrainOptions.from_kwargs(**TINY), {"style": synthetic_image(8, 8, seed=3)},
                         str(tmp_path / "run"))


def test_the_same_settings_resume_and_a_new_run_has_no_record(tmp_path):
    options = TrainOptions.from_kwargs(**TINY)
    _recorded(tmp_path / "run", options)
    assert run_record.check(TrainOptions.from_kwargs(**{**TINY, "style_weight": 3.0}), STYLES,
                            str(tmp_path / "run"))["width"] == 4  # a tunable may change
    assert run_record.check(options, STYLES, str(tmp_path / "new")) is None


def test_a_damaged_record_is_an_error(tmp_path):
    (tmp_path / run_record.CONFIG_FILE).write_text("[1, 2")
    with pytest.raises(Error, match="is damaged"):
        run_record.check(TrainOptions.from_kwargs(**TINY), STYLES, str(tmp_path))


def test_it_needs_no_tensorflow():
    code = "import sys, kstyle.feedforward.run_record; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr
