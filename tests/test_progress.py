"""Progress as its reader sees it: plain lines in a log, one redrawn line in a terminal."""

import io

import pytest

from kstyle import progress


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_a_plain_line_every_few_percent_and_no_control_characters():
    log, clock = io.StringIO(), Clock()
    bar = progress.Progress(200, "step", log, clock=clock)
    for done in range(1, 201):
        clock.now += 0.01
        bar.update(done, [("total", 1234.5), ("style", 0.25)])
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue() and "\b" not in log.getvalue()
    assert len(lines) == 21  # the first step, then every 5 % (10 steps)
    assert lines[1].startswith("step 10/200 (5%), 0 s") and "total 1234, style 0.25" in lines[1]
    assert lines[-1].startswith("step 200/200 (100%), 2 s")


def test_a_slow_run_gets_a_line_every_10_seconds_between_percentages():
    log, clock = io.StringIO(), Clock()
    bar = progress.Progress(1000, "step", log, clock=clock)
    for done in range(1, 20):
        clock.now += 4.0
        bar.update(done)
    # the first step at 4 s, then at 16, 28, ... 76 s: 10 s since the last line, and no 5 % mark (50 steps) reached
    assert len(log.getvalue().splitlines()) == 1 + (76 - 4) // 12
    assert "left" in log.getvalue().splitlines()[-1]


def test_a_run_that_stops_short_ends_with_its_last_count():
    log = io.StringIO()
    bar = progress.Progress(100, "step", log, clock=Clock())
    for done in range(1, 8):
        bar.update(done)
    bar.close()
    assert log.getvalue().splitlines()[-1].startswith("step 7/100 (7%)")


def test_a_terminal_gets_one_line_redrawn_in_place():
    terminal, clock = Terminal(), Clock()
    bar = progress.Progress(50, "image", terminal, clock=clock)
    for done in range(1, 51):
        clock.now += 1.0
        bar.update(done)
    text = terminal.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n") and text.count("\r") == 50
    assert "\x1b" not in text
    assert text.rstrip().rsplit("\r", 1)[1].startswith("image 50/50 [" + "=" * 24 + "]")


def test_a_terminal_line_stopped_short_is_ended_on_close():
    terminal = Terminal()
    bar = progress.Progress(50, "step", terminal, clock=Clock())
    bar.update(3)
    bar.close()
    assert terminal.getvalue().endswith("\n") and terminal.getvalue().count("\n") == 1


@pytest.mark.parametrize("verbose, stream, shown", [
    (None, Terminal(), True), (None, io.StringIO(), False), (True, io.StringIO(), True), (False, Terminal(), False)])
def test_wanted_shows_progress_by_default_only_where_someone_watches(verbose, stream, shown):
    assert progress.wanted(verbose, stream) is shown
