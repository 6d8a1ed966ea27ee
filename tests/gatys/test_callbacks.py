import csv

import numpy as np
from PIL import Image

from kstyle.gatys import callbacks
from kstyle.gatys.optimize import Stage

LOGS = {"seconds": 0.5, "total": 6.0, "style": 3.0, "content": 2.0, "tv": 1.0}


def image():
    return np.full((4, 5, 3), 9, np.uint8)


def test_loss_log_writes_header_and_rows(tmp_path):
    path = tmp_path / "loss.csv"
    log = callbacks.LossLog(str(path))
    log.on_stage_begin(Stage(0, 1, (4, 5), 2, 1))
    log.on_step_end(1, LOGS, image)
    rows = list(csv.reader(open(path)))  # readable while the run goes on
    assert rows == [["step", "seconds", "total", "style", "content", "tv"], ["1", "0.5", "6", "3", "2", "1"]]
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
