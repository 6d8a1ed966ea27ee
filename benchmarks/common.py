"""Helpers shared by the benchmark scripts: machine facts, timing, peak memory of a child."""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "images")


def shared_image(kind, name):
    path = os.path.normpath(os.path.join(SHARED, kind, name))
    if not os.path.exists(path):
        sys.exit(f"benchmark needs {path} (the shared sample images)")
    return path


def painting_path(style):
    """The painting a style paints: a shipped style's (`starry_night_fast` paints starry_night), else its own name's."""
    from kstyle.feedforward import shipped
    return shared_image("style", f"{shipped.painting(style) if style in shipped.names() else style}.jpg")


def machine():
    """One line describing where the figures come from."""
    import tensorflow as tf
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    return (f"{cpu}, {os.cpu_count()} cores, {'GPU: ' + str(len(gpus)) if gpus else 'no GPU'}, "
            f"Python {platform.python_version()}, TensorFlow {tf.__version__}")


def median_seconds(function, repeats, warmup=1):
    """Median wall time of `function()` over `repeats` calls after `warmup` calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), times


class Recorder:
    """A `kstyle.gatys.callbacks.Callback` (by its hooks) that keeps what a run logged, to score afterwards.

    Attributes:
        logs, steps: the last step's logs and number.
        losses: `(scale index, step, total)` for every step.
        snapshots: `(step, logs, seconds, image)` every `every` steps of the last
            scale (none if `every` is 0); `seconds` is wall time since the
            recorder was made, so it counts the style targets and tracing that
            `logs["seconds"]` leaves out.
    """

    def __init__(self, every=0):
        self.every, self.started = every, time.perf_counter()
        self.stage, self.logs, self.steps, self.losses, self.snapshots = None, None, 0, [], []

    def on_stage_begin(self, stage):
        self.stage = stage

    def on_step_end(self, step, logs, image):
        self.logs, self.steps = dict(logs), step
        self.losses.append((self.stage.index, step, round(logs["total"], 3)))
        within = step - self.stage.first_step + 1
        if self.every and self.stage.index == self.stage.count - 1 and within % self.every == 0:
            self.snapshots.append((step, self.logs, time.perf_counter() - self.started, image()))

    def on_stage_end(self, stage, result):
        pass

    def on_run_end(self, step):
        pass


def peak_rss_of(command):
    """Runs `command` in a child process; returns (exit status, peak resident memory in MiB)."""
    # stderr goes to a file, not a pipe: a chatty child could fill a pipe and block while we wait.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace"))
    return process.returncode, usage.ru_maxrss / 1024


def tv_settings(weight=None):
    """The TV weight and normalization a `kstyle.stylize` run uses, for a results file.

    Taken from `StylizeOptions`, so the record is what the run used (its default when `weight` is None),
    not what a benchmark asked for.
    """
    from kstyle.gatys.options import StylizeOptions
    defaults = StylizeOptions().perceptual
    return {"weight": defaults.tv_weight if weight is None else weight, "normalization": defaults.tv_normalization}


def report(results, path):
    """Prints `results` and writes them as JSON to `path` for BENCHMARKS.md."""
    text = json.dumps(results, indent=2)
    print(text)
    with open(path, "w") as file:
        file.write(text + "\n")
