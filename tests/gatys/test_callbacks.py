import csv

import numpy as np
from PIL import Image

from kstyle.gatys import callbacks, lbfgs
from kstyle.gatys.optimize import Result, Stage

LOGS = {"seconds": 0.5, "total": 6.0, "style": 3.0, "content": 2.0, "tv": 1.0, "change": 0.25, "evaluations": 3}


def image():
    return np.full((4, 5, 3), 9, np.uint8)


def test_loss_log_writes_header_and_rows(tmp_path):
    path = tmp_path / "loss.csv"
    log = callbacks.LossLog(str(path))
    log.on_stage_begin(Stage(0, 1, (4, 5), 2, 1))
    log.on_step_end(1, LOGS, image)
    rows = list(csv.reader(open(path)))  # readable while the run goes on
    assert rows == [["step", "seconds", "total", "style", "content", "tv", "change", "evaluations"],
                    ["1", "0.5", "6", "3", "2", "1", "0.25", "3"]]
    log.on_step_end(2, LOGS, image)
    log.on_run_end(2)
    assert len(list(csv.reader(open(path)))) == 3


def test_save_every_writes_numbered_images(tmp_path):
    saver = callbacks.SaveEvery(2, str(tmp_path / "out.png"))
    for step in range(1, 6):
        saver.on_step_end(step, LOGS, image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out_0002.png", "out_0004.png"]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out_0004.png")), image())


def test_progress_bar_shows_terms(capsys):
    bar = callbacks.ProgressBar()
    bar.on_stage_begin(Stage(1, 2, (4, 5), 3, 4))
    for step in (4, 5, 6):
        bar.on_step_end(step, LOGS, image)
    out = capsys.readouterr().out
    assert "scale 2/2: 5x4" in out and "step 3/3 (100%)" in out and "style 3" in out


def test_progress_bar_shows_the_change_then_why_a_stage_stopped_and_its_evaluations(capsys):
    bar = callbacks.ProgressBar()
    bar.on_stage_begin(Stage(0, 1, (4, 5), 300, 1))
    for step in (1, 2):
        bar.on_step_end(step, LOGS, image)
    bar.on_stage_end(Stage(0, 1, (4, 5), 300, 1), Result(image(), LOGS, 2, 4, lbfgs.SETTLED))
    out = capsys.readouterr().out
    assert "change 0.25" in out
    assert out.endswith("\nstopped: image settled after 2 iterations, 4 loss evaluations\n")
    bar.on_stage_begin(Stage(1, 2, (8, 10), 1, 3))
    bar.on_step_end(3, LOGS, image)
    bar.on_stage_end(Stage(1, 2, (8, 10), 1, 3), Result(image(), LOGS, 1, 2, lbfgs.ITERATIONS_DONE))
    assert "scale 2/2 stopped: iterations done after 1 iteration, 2 loss evaluations" in capsys.readouterr().out
