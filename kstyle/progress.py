"""Progress of a long run, shown the way its reader sees it.

In a terminal or a notebook, one line redrawn in place (a carriage return, no
escape codes). Anywhere else (a CI log, `nohup`, a pipe) a redrawn line would
pile up hundreds of updates on one line of the log, so there it is plain lines:
one every `EVERY_FRACTION` of the run or every `EVERY_SECONDS`, whichever comes
first, and one at the end. TensorFlow-free, so every wing and the CLI share it.
"""

import sys
import time

EVERY_FRACTION = 0.05
EVERY_SECONDS = 10.0
_REDRAW_SECONDS = 0.1  # a bar redrawn more often only costs time
_BAR_WIDTH = 24


def interactive(stream):
    """Whether `stream` is read live: a terminal, or a notebook's output (which honours a carriage return)."""
    if getattr(stream, "isatty", lambda: False)():
        return True
    return "ipykernel" in sys.modules and stream in (sys.stdout, sys.stderr)


def wanted(verbose, stream=None):
    """Whether to show progress: `verbose` True or False decides; None shows it where someone watches live.

    The library's default is None, so `kstyle.stylize` in a terminal or notebook
    shows its progress and in a batch job or a test stays silent.
    """
    return interactive(stream or sys.stdout) if verbose is None else bool(verbose)


class Progress:
    """Shows `done` of `total` units of work, with named values (the loss terms, say).

    Args:
        total: the units of work in all.
        unit: what a unit is, e.g. `step` or `image`.
        stream: where to write; `sys.stdout` when None.
        label: a prefix for each line, e.g. `scale 2/3 `.
        start: units already done before this run (a resumed training).
        clock: seconds as a float; `time.monotonic` unless a test gives its own.
    """

    def __init__(self, total, unit, stream=None, label="", start=0, clock=time.monotonic):
        self.total, self.unit, self.label = max(int(total), 1), unit, label
        self._stream = stream or sys.stdout
        self._live = interactive(self._stream)
        self._clock = clock
        self._began = clock()
        self._start = start
        self._shown_at = None  # the clock when a line was last written
        self._next_done = start  # plain lines: the next count due, by fraction
        self._open = False  # a redrawn line waiting for its newline
        self._drawn = 0  # the length of the line drawn last, to blank what a shorter one leaves
        self._last = None  # the latest update, to end with when a run stops short of `total`
        self._last_shown = None

    def update(self, done, values=()):
        """Records that `done` units are done; writes a line if one is due.

        Args:
            done: units done in all (including `start`).
            values: `(name, number)` pairs to show beside the count.
        """
        now = self._clock()
        finished = done >= self.total
        self._last = (done, tuple(values), now)
        if self._live:
            if finished or self._shown_at is None or now - self._shown_at >= _REDRAW_SECONDS:
                line = self._line(done, values, now, bar=True)
                self._write("\r" + line.ljust(self._drawn), end="\n" if finished else "")
                self._drawn = len(line)
                self._open = not finished
                self._shown_at = now
            return
        due = self._shown_at is None or done >= self._next_done or now - self._shown_at >= EVERY_SECONDS
        if finished or due:
            self._write(self._line(done, values, now, bar=False), end="\n")
            self._shown_at, self._last_shown = now, done
            step = max(1, round(self.total * EVERY_FRACTION))
            self._next_done = (done // step + 1) * step

    def close(self):
        """Ends a run that stopped short of `total` (converged, say): its latest count, and the line ended."""
        if self._open:
            self._write("", end="\n")
            self._open = False
        elif self._last is not None and not self._live and self._last[0] != self._last_shown:
            done, values, now = self._last
            self._write(self._line(done, values, now, bar=False), end="\n")
            self._last_shown = done

    def _line(self, done, values, now, bar):
        elapsed = now - self._began
        percent = 100 * done / self.total
        count = f"{self.label}{self.unit} {done}/{self.total}"
        if bar:
            filled = round(_BAR_WIDTH * done / self.total)
            count += f" [{'=' * filled}{'.' * (_BAR_WIDTH - filled)}]"
        else:
            count += f" ({percent:.0f}%)"
        parts = [count, _duration(elapsed)]
        ran = done - self._start
        if 0 < ran and done < self.total:
            parts.append(f"{_duration(elapsed / ran * (self.total - done))} left")
        parts += [f"{name} {value:.4g}" for name, value in values]
        return ", ".join(parts)

    def _write(self, text, end):
        self._stream.write(text + end)
        self._stream.flush()


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
