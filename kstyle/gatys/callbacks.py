"""Hooks into a long optimization: progress, intermediate images, a loss log.

The engine calls them; only the ones a caller passes in do anything, so the
library stays silent unless asked.
"""

import csv
import os
import sys

from kstyle import images, progress
from kstyle.perceptual.objective import TERMS

LOG_TERMS = ("total",) + TERMS
# What a step's logs say besides the loss: the image's mean absolute pixel change in that step (0-255
# levels, what `--min_change` watches) and the loss evaluations of the stage so far.
PROGRESS = ("change", "evaluations")


class Callback:
    """Base class; every hook is optional."""

    def on_stage_begin(self, stage):
        """Called before the steps of one stage (one scale of a multiscale run).

        Args:
            stage: a `Stage` with `index`, `count`, `size` (h, w), `steps` and
                `first_step` (the global number of its first step).
        """

    def on_step_end(self, step, logs, image):
        """Called after each step.

        Args:
            step: the global step number, counted from 1 over all stages.
            logs: `{"seconds", "total", "style", "content", "tv", "change",
                "evaluations"}`; `seconds` is wall time since the first stage's
                loop began, `change` the image's mean absolute pixel change in
                this step (0-255 levels), `evaluations` the stage's loss
                evaluations so far.
            image: a function returning the current image, float32 0-255
                `[h, w, 3]`, exactly as optimized (rounding to uint8 would change
                its loss; `stage.deliver` turns it into the picture the run would
                write); it costs a copy, so call it only when needed.
        """

    def on_stage_end(self, stage, result):
        """Called after a stage's last step with its `optimize.Result` (steps, evaluations, reason); not on Ctrl-C."""

    def on_run_end(self, step):
        """Called when the run finishes or is interrupted."""


class ProgressBar(Callback):
    """The progress of each stage with the weighted loss terms and the image's change per step
    (`kstyle.progress`), then why the stage stopped and the loss evaluations it took.

    A bar redrawn in place in a terminal or notebook, and a plain line every few
    percent or seconds anywhere else, so a log stays readable.
    """

    def __init__(self, stream=None):
        self._stream = stream
        self._bar = None
        self._first = 1

    def on_stage_begin(self, stage):
        if stage.count > 1:
            print(f"scale {stage.index + 1}/{stage.count}: {stage.size[1]}x{stage.size[0]}",
                  file=self._stream or sys.stdout, flush=True)
        self._bar = progress.Progress(stage.steps, "step", self._stream)
        self._first = stage.first_step

    def on_step_end(self, step, logs, image):
        self._bar.update(step - self._first + 1, [(term, logs[term]) for term in LOG_TERMS + ("change",)])

    def on_stage_end(self, stage, result):
        if self._bar is not None:  # stopped early or not: end the bar's line where it stands
            self._bar.close()
            self._bar = None
        scale = f"scale {stage.index + 1}/{stage.count} " if stage.count > 1 else ""
        print(f"{scale}stopped: {result.reason} after {result.steps} iteration{'s' * (result.steps != 1)}, "
              f"{result.evaluations} loss evaluations", file=self._stream or sys.stdout, flush=True)

    def on_run_end(self, step):
        if self._bar is not None:
            self._bar.close()


class SaveEvery(Callback):
    """Writes the image every `every` steps as `out_0100.png` beside `out.png`.

    Each snapshot is the picture the run would write if it stopped there: at
    the output size and in the final colours, whatever the scale (`stage.deliver`).
    """

    def __init__(self, every, path):
        self.every = every
        self._stem, self._extension = os.path.splitext(path)
        self._deliver = None

    def path(self, step):
        return f"{self._stem}_{step:04d}{self._extension}"

    def on_stage_begin(self, stage):
        self._deliver = stage.deliver

    def on_step_end(self, step, logs, image):
        if self.every and step % self.every == 0:
            snapshot = image()
            images.write_image(self.path(step), self._deliver(snapshot) if self._deliver else snapshot)


class LossLog(Callback):
    """A CSV with `step,seconds,total,style,content,tv,change,evaluations`, one row per step, flushed as it goes.

    Rows are written as they come, so an interrupted run keeps its log.
    """

    HEADER = ("step", "seconds") + LOG_TERMS + PROGRESS

    def __init__(self, path):
        self.path = path
        self._file = None
        self._writer = None

    def on_stage_begin(self, stage):
        if self._file is None:
            self._file = open(self.path, "w", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.HEADER)

    def on_step_end(self, step, logs, image):
        self._writer.writerow([step] + [f"{logs[key]:.6g}" for key in self.HEADER[1:]])
        self._file.flush()

    def on_run_end(self, step):
        if self._file is not None:
            self._file.close()
            self._file = None

